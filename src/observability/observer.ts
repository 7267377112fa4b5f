import type { UpstreamError } from '../legacy/errors.js';
import type { ImageRef } from '../legacy/image-ref.js';
import type { Logger } from '../logger.js';
import type { AttemptOutcome, CallAvoidedReason, CircuitStateName, Metrics } from './metrics.js';

/** One attempt at the legacy API, as the client saw it. */
export interface AttemptEvent {
  readonly ref: ImageRef;
  readonly outcome: AttemptOutcome;
  readonly seconds: number;
  /** This service's request id, sent upstream as X-Request-Id. */
  readonly requestId: string | undefined;
  /** The failure, when the attempt failed (404 is not a failure). */
  readonly error: UpstreamError | undefined;
}

/**
 * Everything the service reports about its own work, in one place: metrics, and the log lines an operator
 * needs (each failed upstream attempt with the upstream's request id, to quote to Huawei support; circuit
 * changes). The code that does the work only calls these methods.
 */
export interface Observer {
  attempt(event: AttemptEvent): void;
  retry(error: UpstreamError, attemptNo: number, delayMs: number, requestId: string | undefined): void;
  retryOverBudget(): void;
  /** A call was not made: the caller is over its rate, or its credential was refused moments ago. */
  callAvoided(reason: CallAvoidedReason): void;
  /** An image was answered from an expired cache entry because the upstream failed. */
  staleAnswer(): void;
  circuit(state: CircuitStateName): void;
  cacheLookup(hit: boolean): void;
  coalesced(): void;
  loaderBatch(size: number): void;
}

export function createObserver(metrics: Metrics, logger: Logger): Observer {
  return {
    attempt({ ref, outcome, seconds, requestId, error }) {
      metrics.upstreamAttempt(outcome, seconds);
      if (!error) return;
      logger.warn(
        {
          requestId,
          projectId: ref.projectId,
          imageId: ref.imageId,
          outcome,
          failure: error.failure,
          durationMs: Math.round(seconds * 1000),
          upstream: error.upstream && { status: error.upstream.status, code: error.upstream.code, requestId: error.upstream.requestId },
        },
        `upstream attempt failed: ${error.message}`,
      );
    },
    retry(error, attemptNo, delayMs, requestId) {
      metrics.upstreamRetry(error.failure);
      logger.debug({ requestId, failure: error.failure, attempt: attemptNo, delayMs }, 'retrying the upstream call');
    },
    circuit(state) {
      metrics.circuitState(state);
      const line = { circuit: state };
      if (state === 'open') logger.error(line, 'circuit open: the legacy API is failing; calls fail fast for a while');
      else logger.info(line, `circuit ${state}`);
    },
    retryOverBudget: () => metrics.retryOverBudget(),
    callAvoided: (reason) => metrics.callAvoided(reason),
    staleAnswer: () => metrics.staleAnswer(),
    cacheLookup: (hit) => metrics.cacheLookup(hit),
    coalesced: () => metrics.coalesced(),
    loaderBatch: (size) => metrics.loaderBatch(size),
  };
}
