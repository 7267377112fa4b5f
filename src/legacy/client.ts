import { BrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Dispatcher } from 'undici';
import { credentialHeaders, type Credential } from './credentials.js';
import { abortReason, errorFromException, errorFromStatus, firstHeader, UpstreamError } from './errors.js';
import type { ImageMetadata } from './image-metadata.js';
import type { ImageRef } from './image-ref.js';
import { MalformedBodyError, parseMetadataBody } from './metadata-body.js';
import type { AttemptOutcome } from '../observability/metrics.js';
import type { Observer } from '../observability/observer.js';
import { endSpan, type TraceContext, type Tracing } from '../observability/tracing.js';
import { withRetries, type RetryPolicy } from './retry.js';
import type { RetryBudget } from './retry-budget.js';

/** What one call needs besides the image: a credential and the operation's budget. */
export interface CallOptions {
  readonly credential: Credential;
  /** Aborts when the operation's deadline passes (reason: a `TimeoutError`) or the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms of the operation's deadline; no retry starts that could not finish before it. */
  readonly deadlineAt: number;
  /** The operation's request id, sent upstream as X-Request-Id. */
  readonly requestId?: string | undefined;
  /** The operation's trace span, parent of each attempt's span. */
  readonly traceContext?: TraceContext | undefined;
}

export interface ClientPolicy {
  /** Most calls in flight to the upstream at once, across all operations; the rest queue. */
  readonly maxConnections: number;
  /** How long one attempt may take once it has a connection slot, body included. */
  readonly attemptTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Shared by every call: retries may add only a share of the calls. */
  readonly retryBudget: RetryBudget;
  /** Told of every attempt and retry (metrics and logs). */
  readonly observer: Pick<Observer, 'attempt' | 'retry' | 'retryOverBudget'>;
  readonly tracing: Pick<Tracing, 'enabled' | 'startUpstreamCall'>;
}

/** A success body larger than this is refused rather than buffered: real metadata is a few kilobytes. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Enough of an error body to read its code and message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * The legacy ECS endpoint `GET /v2.1/{project_id}/images/{image_id}/metadata`, over one undici
 * dispatcher (a Pool per origin, made by the caller so that tests and shutdown control it).
 *
 * A call passes, in order: the circuit breaker (fails fast while the upstream is unwell), the retry
 * loop, the global queue of connection slots (abandoned at the deadline), and one timed attempt.
 */
export class LegacyClient {
  private readonly basePath: string;
  private readonly host: string;
  private readonly slots: LimitFunction;

  /** @param endpoint the regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`; a path prefix is kept. */
  constructor(
    private readonly dispatcher: Dispatcher,
    endpoint: URL,
    private readonly policy: ClientPolicy,
    private readonly breaker: CircuitBreakerPolicy,
  ) {
    this.basePath = endpoint.pathname.replace(/\/+$/, '');
    this.host = endpoint.host;
    this.slots = pLimit(policy.maxConnections);
  }

  /** The image's metadata, or `null` when the upstream says it does not exist (404). Fails with an {@link UpstreamError}. */
  async getImageMetadata(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    try {
      return await this.breaker.execute(() => {
        // Counted once the breaker lets the call through: calls it fails fast never reach the upstream.
        this.policy.retryBudget.recordCall();
        return withRetries(() => this.attempt(ref, call), this.policy.retry, {
          ...call,
          onRetry: (error, attemptNo, delayMs) => this.policy.observer.retry(error, attemptNo, delayMs, call.requestId),
          mayRetry: () => {
            const allowed = this.policy.retryBudget.tryRetry();
            if (!allowed) this.policy.observer.retryOverBudget();
            return allowed;
          },
        });
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new UpstreamError('unavailable', 'The legacy API is failing; calls to it are paused for a few seconds.', { cause: error });
      }
      throw error;
    }
  }

  /**
   * One attempt, once a connection slot is free. Waiting for a slot ends at the deadline; a queued attempt
   * whose caller has given up is skipped when its turn comes, without a call.
   */
  private attempt(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    const queued = this.slots.activeCount >= this.slots.concurrency;
    const attempt = this.slots(() => (call.signal.aborted ? Promise.reject(errorFromException(call.signal.reason, abortReason(call.signal))) : this.request(ref, call)));
    return (queued ? untilAborted(attempt, call.signal) : attempt).catch((error: unknown) => {
      throw error instanceof UpstreamError ? error : errorFromException(error, abortReason(call.signal));
    });
  }

  private async request(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    // The attempt ends at its own timeout or with the operation, whichever comes first. Both are undone
    // when the attempt settles: a timer left running would hold the attempt in memory for its full length.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(ATTEMPT_TIMEOUT), this.policy.attemptTimeoutMs);
    const endWithOperation = () => attempt.abort(call.signal.reason);
    call.signal.addEventListener('abort', endWithOperation, { once: true });
    // The ids were validated by parseImageRef; encoding them again keeps this method safe on its own.
    const path = `${this.basePath}/v2.1/${encodeURIComponent(ref.projectId)}/images/${encodeURIComponent(ref.imageId)}/metadata`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(call.requestId !== undefined && { 'x-request-id': call.requestId }),
      ...credentialHeaders(call.credential, { host: this.host, path, projectId: ref.projectId }),
    };
    // No microversion header: the endpoint then answers as Nova 2.1. Nova dropped the image proxy from 2.39 on.
    const span = this.policy.tracing.enabled ? this.policy.tracing.startUpstreamCall(call.traceContext, 'GET legacy image metadata', headers) : undefined;
    span?.setAttributes({ 'http.request.method': 'GET', 'server.address': this.host, 'url.path': path });
    const started = performance.now();
    let outcome: AttemptOutcome = 'unreachable';
    let failure: UpstreamError | undefined;

    try {
      const response = await this.dispatcher.request({ method: 'GET', path, headers, signal: attempt.signal });
      outcome = `${response.statusCode}`;
      span?.setAttribute('http.response.status_code', response.statusCode);
      return await readAnswer(response);
    } catch (error) {
      const reason = attempt.signal.reason === ATTEMPT_TIMEOUT ? 'attempt-timeout' : abortReason(call.signal);
      failure = error instanceof UpstreamError ? error : errorFromException(error, reason);
      if (!(error instanceof UpstreamError)) outcome = reason === undefined ? 'unreachable' : reason === 'attempt-timeout' ? 'timeout' : 'cancelled';
      throw failure;
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', endWithOperation);
      if (span) endSpan(span, failure !== undefined, failure?.message);
      this.policy.observer.attempt({ ref, outcome, seconds: (performance.now() - started) / 1000, requestId: call.requestId, error: failure });
    }
  }
}

const ATTEMPT_TIMEOUT = new DOMException('The attempt timed out.', 'TimeoutError');

/** `work`, or its signal's reason as soon as the signal aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The metadata of a 2xx, `null` for a 404, or the classified failure. */
async function readAnswer({ statusCode, headers, body }: Dispatcher.ResponseData): Promise<ImageMetadata | null> {
  if (statusCode >= 200 && statusCode < 300) {
    const text = await readBody(body, MAX_BODY_BYTES);
    if (text === undefined) throw new UpstreamError('bad_response', 'The legacy API sent a body larger than 1 MiB.', { upstream: details(statusCode, headers) });
    try {
      return parseMetadataBody(text);
    } catch (error) {
      if (!(error instanceof MalformedBodyError)) throw error;
      throw new UpstreamError('bad_response', `The legacy API sent a body that is not image metadata: ${error.message}.`, {
        upstream: details(statusCode, headers),
        cause: error,
      });
    }
  }
  if (statusCode === 404) {
    await body.dump();
    return null;
  }
  throw errorFromStatus(statusCode, headers, (await readBody(body, MAX_ERROR_BODY_BYTES, { truncate: true })) ?? '');
}

/**
 * The body as text, at most `maxBytes` of it: past that, `undefined`, or with `truncate` the first
 * `maxBytes`. Either way the rest is not read and the connection is not reused.
 */
async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number, { truncate = false } = {}): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return truncate ? Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') : undefined;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What to report of a 2xx that could not be used: its status and request id. */
function details(status: number, headers: Record<string, string | string[] | undefined>) {
  return { status, code: null, message: null, requestId: firstHeader(headers['x-request-id']) ?? null };
}
