import { createHmac, randomBytes } from 'node:crypto';
import type { ImageMetadata } from '../legacy/image-metadata.js';
import type { ImageRef } from '../legacy/image-ref.js';
import type { CacheStore } from './store.js';

export interface ImageCacheOptions {
  readonly ttlMs: number;
  readonly notFoundTtlMs: number;
  /** How long past its TTL metadata is kept, to answer with when the upstream fails. */
  readonly staleIfErrorMs: number;
  /** How long a refused credential (401) or project (403) is remembered. */
  readonly refusalTtlMs: number;
  /** The HMAC key for token scopes; undefined: a random one, private to this process. */
  readonly keySecret: string | undefined;
}

/** A cached answer: the metadata (`null`: does not exist), how old it is, and how long it stays fresh (0 or less: stale). */
export interface CachedAnswer {
  readonly metadata: ImageMetadata | null;
  readonly ageMs: number;
  readonly freshForMs: number;
}

/** What the cache knows of one caller and one image. */
export interface Lookup {
  /** The upstream refused this caller's credential, or its access to the image's project, moments ago. */
  readonly refused?: 'unauthenticated' | 'forbidden' | undefined;
  readonly answer?: CachedAnswer | undefined;
}

// Bump when the stored format changes, so that replicas of different versions never misread each other.
// v2: records carry when they were stored and their TTL (stale-if-error), and refusals.
const KEY_PREFIX = 'ecs-image-graph:v2';

/**
 * Image metadata cached across requests, per credential scope: an answer fetched with one caller's
 * credential is only ever served to a request with the same credential. Only answers are cached
 * (metadata, and not-found for a shorter time), never errors; but a refused credential is remembered
 * for a few seconds, so that a bad token cannot hammer the upstream.
 *
 * Writes never hold a response: they run in the background, and `settled()` waits for them.
 */
export class ImageCache {
  private readonly keySecret: string;
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: CacheStore,
    private readonly options: ImageCacheOptions,
  ) {
    this.keySecret = options.keySecret ?? randomBytes(32).toString('hex');
  }

  /**
   * The scope of a caller's token: a keyed hash, so that neither the cache nor its keys ever hold the
   * token, and a key seen in Redis cannot be tested against a guessed token without the secret.
   */
  tokenScope(token: string): string {
    return `token:${createHmac('sha256', this.keySecret).update(token).digest('base64url')}`;
  }

  key(scope: string, ref: ImageRef): string {
    return `${KEY_PREFIX}:${scope}:${ref.projectId}:${ref.imageId}`;
  }

  async lookup(scope: string, ref: ImageRef): Promise<Lookup> {
    const answers = this.options.ttlMs > 0 || this.options.notFoundTtlMs > 0;
    const refusals = this.options.refusalTtlMs > 0;
    if (!answers && !refusals) return {};
    const keys = [...(refusals ? [refusedKey(scope), refusedKey(scope, ref.projectId)] : []), ...(answers ? [this.key(scope, ref)] : [])];
    const records = await this.store.getMany(keys);
    for (const record of records) if (record?.kind === 'refused') return { refused: record.failure };
    const answer = records.at(-1);
    if (answer?.kind !== 'answer') return {};
    const ageMs = Date.now() - answer.storedAt;
    return { answer: { metadata: answer.metadata, ageMs, freshForMs: answer.ttlMs - ageMs } };
  }

  /** Caches an upstream answer, in the background. @returns how long it stays fresh (0 when it is not cached). */
  remember(scope: string, ref: ImageRef, metadata: ImageMetadata | null): number {
    const ttlMs = metadata === null ? this.options.notFoundTtlMs : this.options.ttlMs;
    if (ttlMs === 0) return 0;
    // Metadata outlives its TTL by the stale window; "does not exist" does not: it is cheap to ask again.
    const keptMs = metadata === null ? ttlMs : ttlMs + this.options.staleIfErrorMs;
    this.write(this.key(scope, ref), { kind: 'answer', metadata, storedAt: Date.now(), ttlMs }, keptMs);
    return ttlMs;
  }

  /** Remembers, in the background, that the upstream refused this caller (401: everywhere; 403: in this project). */
  refuse(scope: string, projectId: string, failure: 'unauthenticated' | 'forbidden'): void {
    if (this.options.refusalTtlMs === 0) return;
    this.write(failure === 'unauthenticated' ? refusedKey(scope) : refusedKey(scope, projectId), { kind: 'refused', failure }, this.options.refusalTtlMs);
  }

  /** Resolves once every write started so far has been made (or dropped). */
  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }

  private write(...args: Parameters<CacheStore['set']>): void {
    const write = this.store.set(...args).finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}

function refusedKey(scope: string, projectId?: string): string {
  return `${KEY_PREFIX}:${scope}:${projectId === undefined ? '' : `${projectId}:`}refused`;
}
