import { createHmac, randomBytes } from 'node:crypto';
import { ImageMetadata } from '../legacy/image-metadata.js';
import type { ImageRef } from '../legacy/image-ref.js';
import type { CacheStore } from './store.js';

/** A cached answer: the metadata, or `null` for "does not exist". `undefined` is a miss. */
export type CachedAnswer = ImageMetadata | null;

export interface ImageCacheOptions {
  readonly ttlMs: number;
  readonly notFoundTtlMs: number;
  /** The HMAC key for token scopes; undefined: a random one, private to this process. */
  readonly keySecret: string | undefined;
}

// Bump when the stored format changes, so that replicas of different versions never misread each other.
const KEY_PREFIX = 'ecs-image-graph:v1';

/**
 * Image metadata cached across requests, per credential scope: an answer fetched with one caller's
 * credential is only ever served to a request with the same credential. Only answers are cached
 * (metadata, and not-found for a shorter time), never errors.
 */
export class ImageCache {
  private readonly keySecret: string;

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

  async get(scope: string, ref: ImageRef): Promise<CachedAnswer | undefined> {
    if (this.options.ttlMs === 0 && this.options.notFoundTtlMs === 0) return undefined;
    const stored = await this.store.get(this.key(scope, ref));
    return stored === undefined ? undefined : decode(stored);
  }

  async set(scope: string, ref: ImageRef, answer: CachedAnswer): Promise<void> {
    const ttlMs = answer === null ? this.options.notFoundTtlMs : this.options.ttlMs;
    if (ttlMs > 0) await this.store.set(this.key(scope, ref), encode(answer), ttlMs);
  }
}

/** Metadata as a list of pairs, which keeps its order (JSON objects would not, for integer-like keys). */
function encode(answer: CachedAnswer): string {
  return JSON.stringify({ metadata: answer?.entries.map(({ key, value }) => [key, value]) ?? null });
}

/** A stored value this version cannot read (another format, corruption) is a miss. */
function decode(stored: string): CachedAnswer | undefined {
  try {
    const { metadata } = JSON.parse(stored) as { metadata: unknown };
    if (metadata === null) return null;
    if (!Array.isArray(metadata) || !metadata.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === 'string'))) {
      return undefined;
    }
    return new ImageMetadata((metadata as [string, string][]).map(([key, value]) => ({ key, value })));
  } catch {
    return undefined;
  }
}
