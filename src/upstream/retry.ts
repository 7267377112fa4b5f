import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../images/upstream-error.js';

export interface RetryPolicy {
  /** Further attempts after the first. */
  readonly retries: number;
  /** The first backoff's upper bound; each retry doubles it. */
  readonly baseDelayMs: number;
  /** The longest wait before a retry, Retry-After included: a longer Retry-After is not waited for. */
  readonly maxDelayMs: number;
}

export interface RetryContext {
  /** Aborts on the operation's deadline or when the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms after which no retry may start. */
  readonly deadlineAt: number;
  readonly onRetry?: ((error: UpstreamError, attempt: number, delayMs: number) => void) | undefined;
  /** Spends a retry from the budget shared by all calls (see retry-budget.ts); false: give up now. */
  readonly mayRetry?: (() => boolean) | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or retrying could not finish before the deadline.
 *
 * A hand-written loop, on purpose: undici's retry interceptor has no jitter and cannot read Nova's
 * `retryAfter` body member, and cockatiel's retry policy neither listens to the abort signal while it
 * waits nor lets a backoff decline a retry. Both would hold a response past the operation's deadline,
 * or wait out a Retry-After that cannot fit and then lose the RATE_LIMITED answer. Here a retry that
 * cannot complete in time is not started: the caller gets the real failure at once.
 */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy, context: RetryContext): Promise<T> {
  for (let attemptNo = 1; ; attemptNo += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UpstreamError) || !error.retryable || attemptNo > policy.retries) throw error;
      const delayMs = retryDelay(error, attemptNo, policy);
      if (delayMs === undefined || Date.now() + delayMs >= context.deadlineAt || context.signal.aborted) throw error;
      if (context.mayRetry && !context.mayRetry()) throw error;
      context.onRetry?.(error, attemptNo, delayMs);
      await sleep(delayMs, undefined, { signal: context.signal }).catch(() => {
        throw error;
      });
    }
  }
}

/**
 * The wait before retry number `attemptNo`: what the upstream asked for (Retry-After or Nova's
 * `retryAfter`) when it fits under the cap, else nothing (give up); otherwise exponential backoff with
 * full jitter, so that many clients throttled together do not come back together.
 */
export function retryDelay(error: UpstreamError, attemptNo: number, policy: RetryPolicy, random = Math.random): number | undefined {
  const asked = error.retryAfterMs;
  if (asked !== undefined) return asked <= policy.maxDelayMs ? asked : undefined;
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNo - 1)));
}
