import type { Credential } from './caller.js';
import type { ImageMetadata } from './image-metadata.js';
import type { ImageRef } from './image-ref.js';

/** Which upstream API answers: the deprecated ECS endpoint, or IMS, which replaces it. */
export type BackendName = 'ecs' | 'ims';

/** How messages and log lines name each API, in the middle of a sentence. */
export const API_NAMES: Record<BackendName, string> = { ecs: 'ECS', ims: 'IMS' };

/** The tracing adapter's context of the operation's span; opaque to the model. */
export type TraceContext = unknown;

/** One operation's budget and identity, as the calls it makes need them. */
export interface OperationScope {
  /** Sent upstream as X-Request-Id, and logged. */
  readonly requestId: string;
  /** Aborts when the operation's deadline passes (reason: a `TimeoutError`) or the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms of the operation's deadline; no retry starts that could not finish before it. */
  readonly deadlineAt: number;
  /** The operation's trace span, parent of each attempt's span. */
  readonly traceContext: TraceContext | undefined;
  /** The address the request came from, which the upstream's refusals are counted against. */
  readonly clientAddress?: string | undefined;
}

/** What one call needs besides the image: a credential and the operation's budget. */
export interface CallOptions extends Omit<OperationScope, 'requestId' | 'traceContext' | 'clientAddress'> {
  readonly credential: Credential;
  /** Whose allowance further reads made for this one spend (shadow mode's comparisons). */
  readonly rateKey?: string | undefined;
  readonly requestId?: string | undefined;
  readonly traceContext?: TraceContext | undefined;
}

/**
 * The backend port: one image's metadata, read by one upstream API for one caller. Adapters: `ecs/` (the ECS
 * endpoint) and `ims/` (IMS). Both answer the same entries for the same image (docs/ims-api.md), so nothing
 * above this port knows which one answered.
 */
export interface ImageBackend {
  readonly name: BackendName;
  /** The image's metadata, or `null` when it does not exist. Fails with an `UpstreamError`. */
  getImageMetadata(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null>;
}
