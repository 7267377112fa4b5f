/**
 * Where cached answers live: in this process, or in Redis for all replicas. A store never throws and
 * never blocks a query for long: a store that cannot answer is a miss.
 */
export interface CacheStore {
  /** Resolves once the store can be used, or once it has tried long enough; never rejects. */
  ready(): Promise<void>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
