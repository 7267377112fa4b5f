import type { Dispatcher } from 'undici';
import type { ImageMetadata } from './image-metadata.js';
import type { ImageRef } from './image-ref.js';
import { parseMetadataBody } from './metadata-body.js';

/** What one upstream call needs besides the image: the caller's credential and a way to give up. */
export interface CallOptions {
  /** The caller's IAM token, sent as `X-Auth-Token`. */
  readonly authToken?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The upstream answered with a status this client does not treat as success or not-found. */
export class UpstreamStatusError extends Error {
  override readonly name = 'UpstreamStatusError';
  constructor(
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(`the legacy API answered HTTP ${status}`);
  }
}

/**
 * The legacy ECS endpoint `GET /v2.1/{project_id}/images/{image_id}/metadata`, over one undici dispatcher
 * (a Pool per origin, made by the caller so that tests and shutdown control it).
 */
export class LegacyClient {
  private readonly basePath: string;

  /** @param endpoint the regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`; a path prefix is kept. */
  constructor(
    private readonly dispatcher: Dispatcher,
    endpoint: URL,
  ) {
    this.basePath = endpoint.pathname.replace(/\/+$/, '');
  }

  /** The image's metadata, or `null` when the upstream says it does not exist (404). */
  async getImageMetadata(ref: ImageRef, options: CallOptions = {}): Promise<ImageMetadata | null> {
    // The ids were validated by parseImageRef; encoding them again costs nothing and keeps this method safe alone.
    const path = `${this.basePath}/v2.1/${encodeURIComponent(ref.projectId)}/images/${encodeURIComponent(ref.imageId)}/metadata`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.authToken !== undefined) headers['x-auth-token'] = options.authToken;
    // No microversion header: the endpoint then answers as Nova 2.1. Nova dropped the image proxy from 2.39 on.

    const { statusCode, headers: responseHeaders, body } = await this.dispatcher.request({
      method: 'GET',
      path,
      headers,
      signal: options.signal,
    });
    if (statusCode === 200) return parseMetadataBody(await body.text());
    await body.dump();
    if (statusCode === 404) return null;
    throw new UpstreamStatusError(statusCode, firstHeader(responseHeaders['x-request-id']));
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
