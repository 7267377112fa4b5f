import type { Logger } from 'pino';
import { API_NAMES, type BackendName } from '../images/backend.js';
import { LRUCache } from 'lru-cache';
import type { Observer, ShadowObserver } from '../images/observer.js';
import { BoundedLabel } from './bounded-label.js';
import type { Metrics } from './metrics.js';

export type { Observer };

/** Most distinct metadata keys in the `field` label of the shadow mismatch metric; past it, `metadata.other`. */
const MAX_SHADOW_KEYS = 100;
/** Most mismatches remembered as logged: each is logged once per image. */
const MAX_LOGGED_MISMATCHES = 10_000;
/** Most lines one comparison logs: an image whose every key differs must not flood the log. */
const MAX_LINES_PER_COMPARISON = 20;

/** The observer port of images/observer.ts, as metrics and log lines. */
export function createObserver(metrics: Metrics, logger: Logger): Observer & ShadowObserver {
  const circuits = new Set<BackendName>();
  // Typed fields are few and fixed by the schema; metadata keys come from the upstream, so they are capped.
  const shadowKeys = new BoundedLabel(MAX_SHADOW_KEYS);
  const fieldLabel = (field: string) => (field.startsWith('metadata.') ? `metadata.${shadowKeys.value(field.slice('metadata.'.length), 'other')}` : field);
  const logged = new LRUCache<string, true>({ max: MAX_LOGGED_MISMATCHES });
  return {
    shadowCompared(ref, { result, mismatches, uncarriedKeys, error }) {
      metrics.shadowCompared(result, mismatches.map(({ field }) => fieldLabel(field)), uncarriedKeys);
      if (error !== undefined) logger.debug({ projectId: ref.projectId, imageId: ref.imageId, error: error instanceof Error ? error.message : String(error) }, 'shadow: IMS failed');
      const unlogged = mismatches.filter(({ field }) => !logged.has(`${ref.projectId}/${ref.imageId}/${field}`));
      for (const { field, primary, shadow } of unlogged.slice(0, MAX_LINES_PER_COMPARISON)) {
        logged.set(`${ref.projectId}/${ref.imageId}/${field}`, true);
        logger.warn({ projectId: ref.projectId, imageId: ref.imageId, field, ecs: primary ?? null, ims: shadow ?? null }, `shadow: ECS and IMS differ on ${field}`);
      }
      if (unlogged.length > MAX_LINES_PER_COMPARISON) {
        logger.warn({ projectId: ref.projectId, imageId: ref.imageId, more: unlogged.length - MAX_LINES_PER_COMPARISON }, 'shadow: ECS and IMS differ on more fields of this image');
      }
    },
    shadowDropped: (reason) => metrics.shadowDropped(reason),
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
          // Unreachable says nothing an operator can act on: which of DNS, a refused connection or TLS it was is.
          cause: outcome === 'unreachable' ? rootCause(error) : undefined,
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
      if (state === 'open') logger.error(line, `circuit open: ${API_NAMES[backend]} is failing; calls fail fast for a while`);
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

/** The longest cause message logged: the ones of Node and undici are a line, and nothing else belongs in a log. */
const MAX_CAUSE_LENGTH = 300;

/**
 * Why a connection failed, from the innermost error of `error`'s causes: its `code` (`ECONNREFUSED`, `ENOTFOUND`,
 * `UND_ERR_CONNECT_TIMEOUT`, `CERT_HAS_EXPIRED`, ...) and message. These come from Node's sockets, DNS and TLS
 * and undici's connector, which name the host and port but never a request header, so no credential is in them.
 */
function rootCause(error: Error): { code: string | null; message: string } | undefined {
  let root: unknown = error.cause;
  if (!(root instanceof Error)) return undefined;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const innermost = root as Error & { code?: unknown };
  // Connecting to a name with several addresses fails with an AggregateError whose own message is empty.
  const message = innermost.message || (innermost instanceof AggregateError ? innermost.errors.map((each: unknown) => (each instanceof Error ? each.message : String(each))).join('; ') : innermost.name);
  return { code: typeof innermost.code === 'string' ? innermost.code : null, message: message.slice(0, MAX_CAUSE_LENGTH) };
}
