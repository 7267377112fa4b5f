import type { Values } from './section.js';
import { fraction, integer } from './validators.js';

/** How the service talks to the upstream API: connections, timeouts, retries and the circuit breaker. */
export const UPSTREAM_SETTINGS = {
  UPSTREAM_MAX_CONNECTIONS: integer(1, 1000)({
    default: 20,
    desc: 'Most upstream calls in flight at once across all operations (and the size of the connection pool); the rest queue, so a burst of queries cannot trip Huawei\'s throttling.',
  }),
  UPSTREAM_TIMEOUT_MS: integer(10, 600_000)({
    default: 5000,
    desc: 'Longest one attempt may take, from getting a connection slot to the end of the body; then it is aborted, its socket closed, and retried.',
  }),
  UPSTREAM_RETRIES: integer(0, 10)({
    default: 2,
    desc: 'Further attempts after a 429, 500, 502, 503, 504, timeout or connection error. Other answers are never retried; no retry starts that cannot finish before the deadline.',
  }),
  UPSTREAM_RETRY_BASE_DELAY_MS: integer(0, 60_000)({
    default: 200,
    desc: 'Upper bound of the first backoff; it doubles with each retry, and the actual wait is drawn at random below it (full jitter).',
  }),
  UPSTREAM_RETRY_MAX_DELAY_MS: integer(0, 600_000)({
    default: 5000,
    desc: 'Longest wait before a retry. A `Retry-After` (or Nova `retryAfter`) up to this long is honoured exactly; a longer one is not waited for and the image fails with `RATE_LIMITED` and `extensions.retryAfter`.',
  }),
  UPSTREAM_RETRY_BUDGET_PERCENT: integer(0, 100)({
    default: 20,
    desc: 'Retries may add at most this share (in percent) of the calls made over the last 10 s, beyond `UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND`, so a failing upstream is not hit three times harder. A retry over budget is not made: the image fails with the real reason.',
  }),
  UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: integer(0, 10_000)({
    default: 5,
    desc: 'Retries per second always allowed, whatever the budget says, so that a quiet service still retries.',
  }),
  CIRCUIT_FAILURE_RATE: fraction()({
    default: 0.5,
    desc: 'Share of upstream calls (0 to 1) that must fail (5xx, connection error or timeout) within `CIRCUIT_WINDOW_MS` to open the circuit; while open, calls fail fast with `UPSTREAM_UNAVAILABLE`.',
  }),
  CIRCUIT_WINDOW_MS: integer(1000, 3_600_000)({ default: 10_000, desc: 'Rolling window over which the failure rate is measured.' }),
  CIRCUIT_MIN_CALLS: integer(1, 1_000_000)({
    default: 20,
    desc: 'Least number of calls within the window before the circuit may open, so a few failures alone never open it.',
  }),
  CIRCUIT_HALF_OPEN_AFTER_MS: integer(100, 3_600_000)({
    default: 5000,
    desc: 'How long the circuit stays open before one trial call is let through; its success closes the circuit, its failure opens it again.',
  }),
};

export function readUpstream(env: Values<typeof UPSTREAM_SETTINGS>) {
  return {
    maxConnections: env.UPSTREAM_MAX_CONNECTIONS,
    attemptTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    retries: env.UPSTREAM_RETRIES,
    retryBaseDelayMs: env.UPSTREAM_RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: env.UPSTREAM_RETRY_MAX_DELAY_MS,
    /** Retries allowed beyond the first attempts: a share of recent calls, with a floor. */
    retryBudget: { percent: env.UPSTREAM_RETRY_BUDGET_PERCENT, minPerSecond: env.UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND },
    circuit: {
      failureRate: env.CIRCUIT_FAILURE_RATE,
      windowMs: env.CIRCUIT_WINDOW_MS,
      minCalls: env.CIRCUIT_MIN_CALLS,
      halfOpenAfterMs: env.CIRCUIT_HALF_OPEN_AFTER_MS,
    },
  };
}

/** How the service talks to the upstream API. */
export type UpstreamConfig = ReturnType<typeof readUpstream>;
