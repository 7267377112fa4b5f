import type { Logger } from 'pino';
import type { BackendName } from '../images/backend.js';
import { LRUCache } from 'lru-cache';
import type { Observer, ShadowObserver } from '../images/observer.js';
import { BoundedLabel } from './bounded-label.js';
import type { Metrics } from './metrics.js';

export type { Observer };

/** The observer port of images/observer.ts, as metrics and log lines. */
/** Most distinct `field` label values of the shadow mismatch metric; past it, `other`. */
const MAX_SHADOW_FIELDS = 200;
/** Most mismatches remembered as logged: each is logged once per image. */
const MAX_LOGGED_MISMATCHES = 10_000;

export function createObserver(metrics: Metrics, logger: Logger): Observer & ShadowObserver {
  const circuits = new Set<BackendName>();
  const shadowFields = new BoundedLabel(MAX_SHADOW_FIELDS);
  const logged = new LRUCache<string, true>({ max: MAX_LOGGED_MISMATCHES });
  return {
    shadowCompared(ref, { result, mismatches, uncarriedKeys, error }) {
      metrics.shadowCompared(result, mismatches.map(({ field }) => shadowFields.value(field, 'unknown')), uncarriedKeys);
      if (error !== undefined) logger.debug({ projectId: ref.projectId, imageId: ref.imageId, error: error instanceof Error ? error.message : String(error) }, 'shadow: IMS failed');
      for (const { field, primary, shadow } of mismatches) {
        const key = `${ref.projectId}/${ref.imageId}/${field}`;
        if (logged.has(key)) continue;
        logged.set(key, true);
        logger.warn({ projectId: ref.projectId, imageId: ref.imageId, field, ecs: primary ?? null, ims: shadow ?? null }, `shadow: ECS and IMS differ on ${field}`);
      }
    },
    shadowDropped: () => metrics.shadowDropped(),
    attempt({ backend, ref, outcome, seconds, requestId, error }) {
      metrics.upstreamAttempt(backend, outcome, seconds);
      if (!error) return;
      logger.warn(
        {
          requestId,
          backend,
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
    retry(error, attemptNo, delayMs, requestId, backend) {
      metrics.upstreamRetry(backend, error.failure);
      logger.debug({ requestId, backend, failure: error.failure, attempt: attemptNo, delayMs }, 'retrying the upstream call');
    },
    circuit(state, backend) {
      metrics.circuitState(backend, state);
      const known = circuits.has(backend);
      circuits.add(backend);
      if (!known) return; // a new breaker starts closed: that is no news
      const line = { circuit: state, backend };
      if (state === 'open') logger.error(line, `circuit open: ${backend === 'ecs' ? 'the legacy API' : 'IMS'} is failing; calls fail fast for a while`);
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
