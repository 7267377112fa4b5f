import { BrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import type { Dispatcher } from 'undici';
import { API_NAMES, type BackendName, type CallOptions } from '../images/backend.js';
import type { ImageRef } from '../images/image-ref.js';
import { Slots } from '../images/slots.js';
import type { AttemptOutcome, Observer, UpstreamTracing } from '../images/observer.js';
import { abortReason, capitalised, errorFromException, UpstreamError } from '../images/upstream-error.js';
import { credentialHeaders } from './credentials.js';
import { errorFromStatus, firstHeader } from './error-body.js';
import { withRetries, type RetryPolicy } from './retry.js';
import type { RetryBudget } from './retry-budget.js';

export interface ClientPolicy {
  /** Which backend the calls are for: in metrics, logs and messages. */
  readonly backend: BackendName;
  /** Most calls in flight to the upstream at once, across all operations; the rest queue. */
  readonly maxConnections: number;
  /** How long one attempt may take once it has a connection slot, body included. */
  readonly attemptTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Shared by every call: retries may add only a share of the calls. */
  readonly retryBudget: RetryBudget;
  /** Told of every attempt and retry (metrics and logs). */
  readonly observer: Pick<Observer, 'attempt' | 'retry' | 'retryOverBudget'>;
  readonly tracing: UpstreamTracing;
  /** For the benchmark's ablation only (config/bench-switches.ts): parts of the path a call skips. */
  readonly bypass?: { readonly retries: boolean; readonly breaker: boolean; readonly slots: boolean };
}

/** One GET an adapter makes for an image: where, and how to read the answer. */
export interface UpstreamRequest<T> {
  /** The path below the endpoint's own path, ids already encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Headers of the request besides the credential's (signed with it, in service mode). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The span's name. */
  readonly name: string;
  /** Whether a 404 means "no such image" (it reaches `read`), rather than a failure like any other status. */
  readonly notFoundIsAnswer?: boolean;
  /** The answer of a 2xx, or of a 404 with `notFoundIsAnswer` (bodies read with {@link readBody}). */
  read(response: Dispatcher.ResponseData): Promise<T>;
}

/** A success body larger than this is refused rather than buffered: real metadata is a few kilobytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Enough of an error body to read its code and message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * GETs to one upstream origin for image adapters (ECS in ecs/, IMS in ims/), over one undici dispatcher (a
 * Pool per origin, made by the caller so that tests and shutdown control it), with its own circuit breaker.
 *
 * A call passes, in order: the circuit breaker (fails fast while the upstream is unwell), the retry loop, the
 * global queue of connection slots (abandoned at the deadline), and one timed attempt. Statuses other than 2xx
 * (and 404, where it is an answer) become {@link UpstreamError}s from the body families of docs/legacy-api.md §3.
 */
export class UpstreamClient {
  private readonly basePath: string;
  private readonly host: string;
  private readonly slots: Slots;
  /** How messages name the upstream. */
  private readonly api: string;

  /** @param endpoint the regional endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`; a path prefix is kept. */
  constructor(
    private readonly dispatcher: Dispatcher,
    endpoint: URL,
    private readonly policy: ClientPolicy,
    private readonly breaker: CircuitBreakerPolicy,
  ) {
    this.basePath = endpoint.pathname.replace(/\/+$/, '');
    this.host = endpoint.host;
    this.slots = new Slots(policy.maxConnections);
    this.api = API_NAMES[policy.backend];
  }

  /** Calls on a connection now (at most `maxConnections`), and calls waiting for one. */
  load(): { running: number; queued: number } {
    return { running: this.slots.activeCount, queued: this.slots.pendingCount };
  }

  /** `request` for `ref`, its answer as `request.read` gives it. Fails with an {@link UpstreamError}. */
  async get<T>(ref: ImageRef, request: UpstreamRequest<T>, call: CallOptions): Promise<T> {
    const { bypass } = this.policy;
    if (bypass) return this.bypassing(bypass, ref, request, call);
    try {
      return await this.breaker.execute(() => {
        // Counted once the breaker lets the call through: calls it fails fast never reach the upstream.
        this.policy.retryBudget.recordCall();
        return withRetries(() => this.attempt(ref, request, call), this.policy.retry, {
          ...call,
          onRetry: (error, attemptNo, delayMs) => this.policy.observer.retry(error, attemptNo, delayMs, call.requestId, this.policy.backend),
          mayRetry: () => {
            const allowed = this.policy.retryBudget.tryRetry();
            if (!allowed) this.policy.observer.retryOverBudget();
            return allowed;
          },
        });
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new UpstreamError('unavailable', `${capitalised(this.api)} is failing; calls to it are paused for a few seconds.`, { cause: error });
      }
      throw error;
    }
  }

  /** {@link get} without the parts the benchmark's ablation turns off. */
  private async bypassing<T>(bypass: NonNullable<ClientPolicy['bypass']>, ref: ImageRef, request: UpstreamRequest<T>, call: CallOptions): Promise<T> {
    const attempt = bypass.slots
      ? () => this.request(ref, request, call).catch((error: unknown) => {
          throw error instanceof UpstreamError ? error : errorFromException(error, abortReason(call.signal), this.api);
        })
      : () => this.attempt(ref, request, call);
    const retried = bypass.retries ? attempt : () => withRetries(attempt, this.policy.retry, { ...call, mayRetry: () => this.policy.retryBudget.tryRetry() });
    const guarded = bypass.breaker ? retried : () => this.breaker.execute(() => (this.policy.retryBudget.recordCall(), retried()));
    try {
      return await guarded();
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new UpstreamError('unavailable', `${capitalised(this.api)} is failing.`, { cause: error });
      throw error;
    }
  }

  /**
   * One attempt, once a connection slot is free. Waiting for a slot ends at the deadline; a queued attempt
   * whose caller has given up is skipped when its turn comes, without a call.
   */
  private attempt<T>(ref: ImageRef, request: UpstreamRequest<T>, call: CallOptions): Promise<T> {
    const queued = this.slots.full;
    const attempt = this.slots.run(() => (call.signal.aborted ? Promise.reject(errorFromException(call.signal.reason, abortReason(call.signal), this.api)) : this.request(ref, request, call)));
    return (queued ? untilAborted(attempt, call.signal) : attempt).catch((error: unknown) => {
      throw error instanceof UpstreamError ? error : errorFromException(error, abortReason(call.signal), this.api);
    });
  }

  private async request<T>(ref: ImageRef, request: UpstreamRequest<T>, call: CallOptions): Promise<T> {
    // The attempt ends at its own timeout or with the operation, whichever comes first. Both are undone
    // when the attempt settles: a timer left running would hold the attempt in memory for its full length.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(ATTEMPT_TIMEOUT), this.policy.attemptTimeoutMs);
    const endWithOperation = () => attempt.abort(call.signal.reason);
    call.signal.addEventListener('abort', endWithOperation, { once: true });
    const path = `${this.basePath}${request.path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...request.headers,
      ...(call.requestId !== undefined && { 'x-request-id': call.requestId }),
      ...credentialHeaders(call.credential, { host: this.host, path, query: request.query, projectId: ref.projectId }),
    };
    const { tracing } = this.policy;
    const span = tracing.enabled ? tracing.startUpstreamCall(call.traceContext, request.name, headers) : undefined;
    span?.setAttributes({ 'http.request.method': 'GET', 'server.address': this.host, 'url.path': path });
    const started = performance.now();
    let outcome: AttemptOutcome = 'unreachable';
    let failure: UpstreamError | undefined;

    try {
      const response = await this.dispatcher.request({ method: 'GET', path, ...(request.query && { query: request.query }), headers, signal: attempt.signal });
      outcome = `${response.statusCode}`;
      span?.setAttribute('http.response.status_code', response.statusCode);
      const { statusCode } = response;
      if ((statusCode >= 200 && statusCode < 300) || (statusCode === 404 && request.notFoundIsAnswer)) return await request.read(response);
      throw errorFromStatus(response.statusCode, response.headers, (await readBody(response.body, MAX_ERROR_BODY_BYTES, { truncate: true })) ?? '', Date.now(), this.api);
    } catch (error) {
      const reason = attempt.signal.reason === ATTEMPT_TIMEOUT ? 'attempt-timeout' : abortReason(call.signal);
      failure = error instanceof UpstreamError ? error : errorFromException(error, reason, this.api);
      if (!(error instanceof UpstreamError)) outcome = reason === undefined ? 'unreachable' : reason === 'attempt-timeout' ? 'timeout' : 'cancelled';
      throw failure;
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', endWithOperation);
      if (span) tracing.endUpstreamCall(span, failure !== undefined, failure?.message);
      this.policy.observer.attempt({ backend: this.policy.backend, ref, outcome, seconds: (performance.now() - started) / 1000, requestId: call.requestId, error: failure });
    }
  }
}


const ATTEMPT_TIMEOUT = new DOMException('The attempt timed out.', 'TimeoutError');

/** `work`, or its signal's reason as soon as the signal aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    // Handled first, whatever happens next: a queued attempt given up before it starts still rejects when its
    // turn comes (it is skipped, not made), and left unhandled that rejection would end the process.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The body as text, at most `maxBytes` of it: past that, `undefined`, or with `truncate` the first
 * `maxBytes`. Either way the rest is not read and the connection is not reused. Read from the stream's events,
 * not with `for await`: an async iterator costs a promise per chunk, on every call, for bodies of a few kilobytes.
 */
export function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number, { truncate = false } = {}): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= maxBytes) return;
      body.off('data', onData);
      body.destroy();
      resolve(truncate ? Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') : undefined);
    };
    body.on('data', onData);
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8')));
    body.once('error', reject);
  });
}

/** What to report of a 2xx that could not be used: its status and request id. */
export function details(status: number, headers: Record<string, string | string[] | undefined>) {
  return { status, code: null, message: null, requestId: firstHeader(headers['x-request-id']) ?? null };
}
