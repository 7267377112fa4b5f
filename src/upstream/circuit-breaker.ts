import { circuitBreaker, handleWhen, SamplingBreaker, type CircuitBreakerPolicy } from 'cockatiel';
import { UpstreamError } from '../images/upstream-error.js';

export interface CircuitOptions {
  /** The share of failed calls (0 to 1, exclusive) over the window that opens the circuit. */
  readonly failureRate: number;
  /** The rolling window the rate is measured over. */
  readonly windowMs: number;
  /** The least number of calls in the window before the rate counts: a few failures alone never open it. */
  readonly minCalls: number;
  /** How long the circuit stays open before one trial call is let through (half-open). */
  readonly halfOpenAfterMs: number;
}

/**
 * One breaker per upstream origin. Only failures that say "the upstream is unwell" count: 5xx, connection
 * failures and attempt timeouts. A 401, 403, 429 or a bad body is about one caller or one image, and the
 * operation's own deadline is about the caller's budget: none of those count.
 */
export function createCircuitBreaker(options: CircuitOptions): CircuitBreakerPolicy {
  return circuitBreaker(handleWhen(signalsUnhealthyUpstream), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new SamplingBreaker({
      threshold: options.failureRate,
      duration: options.windowMs,
      // SamplingBreaker wants a rate; minCalls over the window is the same floor, easier to reason about.
      minimumRps: options.minCalls / (options.windowMs / 1000),
    }),
  });
}

function signalsUnhealthyUpstream(error: Error): boolean {
  return error instanceof UpstreamError && (error.failure === 'unavailable' || (error.failure === 'timeout' && error.retryable));
}
