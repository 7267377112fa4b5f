import type { Dispatcher } from 'undici';
import type { CallOptions, ImageBackend } from '../images/backend.js';
import type { ImageMetadata } from '../images/image-metadata.js';
import type { ImageRef } from '../images/image-ref.js';
import { UpstreamError } from '../images/upstream-error.js';
import { details, MAX_BODY_BYTES, readBody, type UpstreamClient } from '../upstream/client.js';
import { isRecord } from '../upstream/error-body.js';
import { metadataFromImageInfo } from './image-info.js';

/**
 * IMS `GET /v2/cloudimages?id={image_id}` (docs/ims-api.md), the API that replaces the ECS endpoint. IMS has no
 * project in its path, so every request names the project asked for in `X-Project-Id` (signed, in service mode);
 * and an image that is not public and belongs to another project is answered as ECS would answer its path in
 * this project: not there. The answer is `{"images": [ImageInfo]}`: an empty list is an image that does not exist; more than one
 * image, or another image than the one asked for, is a bad response. The image's metadata members become the
 * entries ECS would give (image-info.ts).
 */
export class ImsBackend implements ImageBackend {
  readonly name = 'ims';

  constructor(private readonly client: UpstreamClient) {}

  getImageMetadata(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    return this.client.get(
      ref,
      // IMS says "no such image" with an empty list: a 404 is some other trouble (a wrong endpoint), an error.
      { path: '/v2/cloudimages', query: { id: ref.imageId }, headers: { 'x-project-id': ref.projectId }, name: 'GET IMS cloudimages', read: (response) => readImage(response, ref) },
      call,
    );
  }
}

async function readImage(response: Dispatcher.ResponseData, ref: ImageRef): Promise<ImageMetadata | null> {
  const { statusCode, headers, body } = response;
  const bad = (what: string, cause?: unknown) => new UpstreamError('bad_response', `IMS sent ${what}.`, { upstream: details(statusCode, headers), cause });
  const text = await readBody(body, MAX_BODY_BYTES);
  if (text === undefined) throw bad('a body larger than 1 MiB');
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (error) {
    throw bad('a body that is not JSON', error);
  }
  const images = isRecord(answer) ? answer['images'] : undefined;
  if (!Array.isArray(images)) throw bad('a body without an "images" list');
  if (images.length === 0) return null;
  if (images.length > 1) throw bad(`${images.length} images for one id`);
  const [image] = images as unknown[];
  if (!isRecord(image) || typeof image['id'] !== 'string') throw bad('an image without an id');
  if (image['id'].toLowerCase() !== ref.imageId) throw bad(`image ${image['id']} when ${ref.imageId} was asked for`);
  if (!servedIn(image, ref.projectId)) return null;
  return metadataFromImageInfo(image);
}

/**
 * Whether an image may be answered under `projectId`: a public one anywhere; any other (private, shared, or a
 * visibility this code does not know) only in the project that owns it. An image that says no owner is not
 * this project's. Compared without regard to case: IMS's own examples spell visibility in both cases.
 */
function servedIn(image: Readonly<Record<string, unknown>>, projectId: string): boolean {
  const visibility = typeof image['visibility'] === 'string' ? image['visibility'].toLowerCase() : undefined;
  const owner = typeof image['owner'] === 'string' ? image['owner'].toLowerCase() : undefined;
  return visibility === 'public' || owner === projectId;
}
