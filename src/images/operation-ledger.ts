import type { Fetched } from './image-source.js';
import { imageRefKey, type ImageRef } from './image-ref.js';

/** An image answered from an expired cache entry, where it is in the response, and how old it was. */
export interface StaleImage {
  readonly path: ReadonlyArray<string | number>;
  /** The image id, which tells apart the images of one `_entities` field. */
  readonly id: string;
  readonly ageSeconds: number;
}

/**
 * What one operation read and spent: upstream calls made, how long its answers stay fresh, which images
 * were stale, and the bytes of image data its response carries (held to `maxResponseBytes`). Made fresh for
 * every request; read at the end for `extensions` and the `Cache-Control` header.
 */
export class OperationLedger {
  /** Upstream calls this operation started, failed ones included (not cache hits, not calls it shared with another request). */
  upstreamCalls = 0;
  /** The shortest time any answer it read stays fresh in the cache; Infinity when it read none. */
  freshForMs = Number.POSITIVE_INFINITY;
  /** Where stale images appear in the response. */
  readonly stale: StaleImage[] = [];
  private readonly staleAges = new Map<string, number>();
  private responseBytes = 0;

  constructor(private readonly maxResponseBytes: number) {}

  /** Counts an upstream call this operation started. */
  called(): void {
    this.upstreamCalls += 1;
  }

  /** Records one distinct image as the loader got it. */
  read(ref: ImageRef, fetched: Fetched): void {
    this.freshForMs = Math.min(this.freshForMs, fetched.freshForMs);
    if (fetched.staleAgeMs !== undefined) this.staleAges.set(imageRefKey(ref), fetched.staleAgeMs);
  }

  /**
   * Admits one image result at `path` into the response, charging its `bytes`; false when that would go
   * over the bound. A stale image is noted with its path.
   */
  admit(ref: ImageRef, bytes: number, path: ReadonlyArray<string | number>): boolean {
    if (this.responseBytes + bytes > this.maxResponseBytes) return false;
    this.responseBytes += bytes;
    const staleAgeMs = this.staleAges.get(imageRefKey(ref));
    if (staleAgeMs !== undefined) this.stale.push({ path, id: ref.imageId, ageSeconds: Math.floor(staleAgeMs / 1000) });
    return true;
  }
}
