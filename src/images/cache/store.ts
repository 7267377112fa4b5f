import type { ImageMetadata } from '../image-metadata.js';

/** What the cache holds under a key. */
export type CacheRecord =
  /** An upstream answer: the metadata, or `null` for "does not exist", with when it was fetched and for how long it is fresh. */
  | { readonly kind: 'answer'; readonly metadata: ImageMetadata | null; readonly storedAt: number; readonly ttlMs: number }
  /**
   * The upstream refused a caller's credential (401), or its access to a project (403), at `at`: no call is sent
   * for `blockMs` after, and no answer cached before it is served again.
   */
  | { readonly kind: 'refused'; readonly failure: 'unauthenticated' | 'forbidden'; readonly at: number; readonly blockMs: number };

/**
 * Where cached records live: in this process, or in Redis for all replicas. A store never throws and
 * never blocks a query for long: a store that cannot answer is a miss, a write it cannot make is dropped.
 */
export interface CacheStore {
  /** Resolves once the store can be used, or once it has tried long enough; never rejects. */
  ready(): Promise<void>;
  /** The records under `keys`, in order, `undefined` for each miss, asked together (one round trip per server they live on). */
  getMany(keys: readonly string[]): Promise<Array<CacheRecord | undefined>>;
  set(key: string, record: CacheRecord, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
