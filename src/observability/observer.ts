import type { Logger } from 'pino';
import type { Observer } from '../images/observer.js';
import type { Metrics } from './metrics.js';

export type { Observer };

/** The observer port of images/observer.ts, as metrics and log lines. */
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
