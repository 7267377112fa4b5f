import DataLoader from 'dataloader';
import type { ImageMetadata } from './image-metadata.js';
import { imageRefKey, type ImageRef } from './image-ref.js';
import { Slots } from './slots.js';

/** What the `Image` type resolves from: the canonical ids and the metadata the upstream sent. */
export interface ImageRecord extends ImageRef {
  readonly metadata: ImageMetadata;
}

/** Fetches one image's metadata; `null` when it does not exist. */
export type FetchImage = (ref: ImageRef) => Promise<ImageMetadata | null>;

export type ImageLoader = DataLoader<ImageRef, ImageRecord | null, string>;

/**
 * A loader for one GraphQL operation: every distinct image it asks for, by whatever route (aliases,
 * fragments, `images` lists, federation entities), costs exactly one call, and a failed call fails only
 * that image. Neither upstream API has a batch endpoint, so a batch fans out into single calls, at most
 * `maxConcurrency` at a time.
 */
export function createImageLoader(fetchImage: FetchImage, maxConcurrency: number, onBatch: (size: number) => void = () => undefined): ImageLoader {
  // Infinity: no cap at all, for the benchmark's ablation only.
  const slots = Number.isFinite(maxConcurrency) ? new Slots(maxConcurrency) : undefined;
  const limit = slots ? (fetch: FetchImage, ref: ImageRef) => slots.run(() => fetch(ref)) : (fetch: FetchImage, ref: ImageRef) => fetch(ref);
  return new DataLoader(
    // DataLoader's contract: one result per key, in key order, an Error for a key that failed; never a rejected batch.
    (refs) => {
      onBatch(refs.length);
      return Promise.all(
        refs.map((ref) =>
          limit(fetchImage, ref).then(
            (metadata) => (metadata === null ? null : { ...ref, metadata }),
            (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
          ),
        ),
      );
    },
    { cacheKeyFn: imageRefKey },
  );
}
