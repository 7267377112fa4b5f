import type { Dispatcher } from 'undici';
import type { CallOptions, ImageBackend } from '../images/backend.js';
import { ImageMetadata } from '../images/image-metadata.js';
import type { ImageRef } from '../images/image-ref.js';
import { UpstreamError } from '../images/upstream-error.js';
import { details, MAX_BODY_BYTES, readBody, type UpstreamClient } from '../upstream/client.js';
import { MalformedBodyError, parseMetadataBody } from './metadata-body.js';

/**
 * The deprecated ECS endpoint `GET /v2.1/{project_id}/images/{image_id}/metadata` (docs/legacy-api.md §1):
 * the metadata map exactly as sent, key order and duplicates kept; a 404 is an image that does not exist.
 */
export class EcsBackend implements ImageBackend {
  readonly name = 'ecs';

  /** @param options.keepOrder false for the benchmark's ablation only: the body read with plain JSON.parse, which loses the order of integer-like keys and repeats */
  constructor(
    private readonly client: UpstreamClient,
    private readonly options: { keepOrder: boolean } = { keepOrder: true },
  ) {}

  getImageMetadata(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    // The ids were validated by parseImageRef; encoding them again keeps this method safe on its own.
    // No microversion header: the endpoint then answers as Nova 2.1. Nova dropped the image proxy from 2.39 on.
    const path = `/v2.1/${encodeURIComponent(ref.projectId)}/images/${encodeURIComponent(ref.imageId)}/metadata`;
    return this.client.get(ref, { path, name: 'GET ECS image metadata', notFoundIsAnswer: true, read: this.options.keepOrder ? readMetadata : readPlainly }, call);
  }
}

/** The metadata of a 2xx, `null` for a 404. */
async function readMetadata({ statusCode, headers, body }: Dispatcher.ResponseData): Promise<ImageMetadata | null> {
  if (statusCode === 404) {
    await body.dump();
    return null;
  }
  const text = await readBody(body, MAX_BODY_BYTES);
  if (text === undefined) throw new UpstreamError('bad_response', 'ECS sent a body larger than 1 MiB.', { upstream: details(statusCode, headers) });
  try {
    return parseMetadataBody(text);
  } catch (error) {
    if (!(error instanceof MalformedBodyError)) throw error;
    throw new UpstreamError('bad_response', `ECS sent a body that is not image metadata: ${error.message}.`, {
      upstream: details(statusCode, headers),
      cause: error,
    });
  }
}

/** The benchmark's ablation of the order-keeping parser: what a team writes by hand. */
async function readPlainly({ statusCode, body }: Dispatcher.ResponseData): Promise<ImageMetadata | null> {
  if (statusCode === 404) {
    await body.dump();
    return null;
  }
  const { metadata } = (await body.json()) as { metadata: Record<string, string> };
  return new ImageMetadata(Object.entries(metadata).map(([key, value]) => ({ key, value })));
}
