import type { BackendName } from './backend.js';
import type { ImageRef } from './image-ref.js';
import type { UpstreamError } from './upstream-error.js';

/** Outcome of one upstream attempt: its HTTP status, or why there was none. */
export type AttemptOutcome = `${number}` | 'timeout' | 'unreachable' | 'cancelled';

export type CircuitStateName = 'closed' | 'half-open' | 'open';

/** Why an upstream call was not made. */
export type CallAvoidedReason = 'caller_rate_limit' | 'refused_credential' | 'refused_address';

/** One attempt at an upstream API, as the client saw it. */
export interface AttemptEvent {
  readonly backend: BackendName;
  readonly ref: ImageRef;
  readonly outcome: AttemptOutcome;
  readonly seconds: number;
  /** This service's request id, sent upstream as X-Request-Id. */
  readonly requestId: string | undefined;
  /** The failure, when the attempt failed (a missing image is not a failure). */
  readonly error: UpstreamError | undefined;
}

/**
 * The observer port: everything the model and the upstream adapters report about their work. `observability/`
 * implements it with metrics and the log lines an operator needs; the code that does the work only calls these.
 */
export interface Observer {
  attempt(event: AttemptEvent): void;
  retry(error: UpstreamError, attemptNo: number, delayMs: number, requestId: string | undefined, backend: BackendName): void;
  retryOverBudget(): void;
  /** A call was not made: the caller is over its rate, or its credential was refused moments ago. */
  callAvoided(reason: CallAvoidedReason): void;
  /** An image was answered from an expired cache entry because the upstream failed. */
  staleAnswer(): void;
  circuit(state: CircuitStateName, backend: BackendName): void;
  cacheLookup(hit: boolean): void;
  coalesced(): void;
  loaderBatch(size: number): void;
}

/** A span of one upstream attempt, as the tracing adapter makes it. */
export interface UpstreamSpan {
  setAttribute(key: string, value: string | number): unknown;
  setAttributes(attributes: Record<string, string | number>): unknown;
}

/** The tracing port: a client span per upstream attempt, whose context goes upstream in `headers`. */
export interface UpstreamTracing {
  /** Whether spans are recorded; when not, callers skip making them at all. */
  readonly enabled: boolean;
  startUpstreamCall(parent: unknown, name: string, headers: Record<string, string>): UpstreamSpan;
  endUpstreamCall(span: UpstreamSpan, failed: boolean, message?: string): void;
}

/** One difference a shadow comparison found: a metadata key (`metadata.__os_bit`) or a typed field (`osBit`). */
export interface ShadowMismatch {
  readonly field: string;
  readonly primary: unknown;
  readonly shadow: unknown;
}

/** What one shadow comparison found. */
export interface ShadowResult {
  readonly result: 'match' | 'mismatch' | 'ims_error';
  readonly mismatches: readonly ShadowMismatch[];
  /** Keys of the primary's answer the shadow backend has no member for (user-defined metadata). */
  readonly uncarriedKeys: number;
  readonly error?: unknown;
}

/** The shadow comparison's events (IMAGE_BACKEND=shadow). */
export interface ShadowObserver {
  shadowCompared(ref: ImageRef, outcome: ShadowResult): void;
  /** A sampled load was not compared: the comparisons in flight were at their cap, or its caller was over its allowance. */
  shadowDropped(reason: 'concurrency' | 'caller_allowance'): void;
}

