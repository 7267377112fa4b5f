import type { BackendName } from '../backend.js';
import { createHmac, randomBytes } from 'node:crypto';
import type { ImageMetadata } from '../image-metadata.js';
import type { ImageRef } from '../image-ref.js';
import type { CacheRecord, CacheStore } from './store.js';

export interface ImageCacheOptions {
  readonly ttlMs: number;
  readonly notFoundTtlMs: number;
  /** How long past its TTL metadata is kept, to answer with when the upstream fails. */
  readonly staleIfErrorMs: number;
  /** How long a refused credential (401) or project (403) is remembered. */
  readonly refusalTtlMs: number;
  /** The HMAC key for token scopes; undefined: a random one, private to this process. */
  readonly keySecret: string | undefined;
  /** The API that answers: each keeps its own entries, so that switching never serves the other's. */
  readonly backend: BackendName;
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
  private readonly prefix: string;
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: CacheStore,
    private readonly options: ImageCacheOptions,
  ) {
    this.keySecret = options.keySecret ?? randomBytes(32).toString('hex');
    // IMS answers are kept apart; ECS keys are those of before IMS, so that an upgrade keeps the cache.
    this.prefix = options.backend === 'ecs' ? KEY_PREFIX : `${KEY_PREFIX}:${options.backend}`;
  }

  /**
   * The scope of a caller's token: a keyed hash, so that neither the cache nor its keys ever hold the
   * token, and a key seen in Redis cannot be tested against a guessed token without the secret.
   */
  tokenScope(token: string): string {
    return `token:${createHmac('sha256', this.keySecret).update(token).digest('base64url')}`;
  }

  key(scope: string, ref: ImageRef): string {
    return `${this.prefix}:${scope}:${ref.projectId}:${ref.imageId}`;
  }

  async lookup(scope: string, ref: ImageRef): Promise<Lookup> {
    const answers = this.options.ttlMs > 0 || this.options.notFoundTtlMs > 0;
    // A refusal is stored when calls are blocked after it, or when there are answers it must take back.
    const refusals = answers || this.options.refusalTtlMs > 0;
    if (!refusals) return {};
    const keys = [this.refusedKey(scope), this.refusedKey(scope, ref.projectId)];
    if (answers) keys.push(this.key(scope, ref));
    const [scopeRefusal, projectRefusal, answer] = await this.store.getMany(keys);
    const now = Date.now();
    // The latest refusal of this caller (everywhere, or in this project) wins.
    let refusal: Extract<CacheRecord, { kind: 'refused' }> | undefined;
    for (const record of [scopeRefusal, projectRefusal]) if (record?.kind === 'refused' && (!refusal || record.at > refusal.at)) refusal = record;
    if (refusal && now < refusal.at + refusal.blockMs) return { refused: refusal.failure };
    // An answer fetched before the upstream refused this caller is never served again, fresh or stale.
    if (answer?.kind !== 'answer' || (refusal && answer.storedAt <= refusal.at)) return {};
    const ageMs = now - answer.storedAt;
    // A store may still hold an entry at the very moment it expires: past its stale window it is no answer.
    if (ageMs >= answer.ttlMs + (answer.metadata === null ? 0 : this.options.staleIfErrorMs)) return {};
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

  /**
   * Remembers, in the background, that the upstream refused this caller (401: everywhere; 403: in this project):
   * no call is sent for `refusalTtlMs`, and nothing cached for it before now is served again, for as long as
   * such an entry could live.
   */
  refuse(scope: string, projectId: string, failure: 'unauthenticated' | 'forbidden'): void {
    const keptMs = Math.max(this.options.refusalTtlMs, this.options.ttlMs + this.options.staleIfErrorMs, this.options.notFoundTtlMs);
    if (keptMs === 0) return;
    const record: CacheRecord = { kind: 'refused', failure, at: Date.now(), blockMs: this.options.refusalTtlMs };
    this.write(failure === 'unauthenticated' ? this.refusedKey(scope) : this.refusedKey(scope, projectId), record, keptMs);
  }

  /** Resolves once every write started so far has been made (or dropped). */
  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }

  private refusedKey(scope: string, projectId?: string): string {
    return `${this.prefix}:${scope}:${projectId === undefined ? '' : `${projectId}:`}refused`;
  }

  private write(...args: Parameters<CacheStore['set']>): void {
    const write = this.store.set(...args).finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}
