import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { CallerRate } from '../config/index.js';
import type { CallerRateLimit } from '../images/image-source.js';
import type { RedisLink } from './redis-link.js';
import { countedIn, sharedOrLocal } from './shared-or-local.js';

/**
 * Each caller may make `calls` upstream calls per window (a second), plus `burst` more per burst window
 * (10 s), so that one large operation passes but a loop of them does not. rate-limiter-flexible counts in fixed windows; its
 * BurstyRateLimiter (a limiter and a wider burst limiter behind it) is what its authors offer for a token
 * bucket's burst.
 *
 * With Redis the counts are shared by every replica (ten replicas do not give a caller ten times the rate).
 * While Redis is unreachable or skipped, each process counts on its own: a caller may then get up to one
 * allowance per replica, which is better than failing every call.
 */
export function createCallerRateLimit(rate: CallerRate, redis: RedisLink | undefined): CallerRateLimit {
  if (rate.calls === 0) return async () => undefined;
  const run = sharedOrLocal(
    redis,
    limiter(rate, (options) => new RateLimiterMemory(options)),
    redis && limiter(rate, (options) => new RateLimiterRedis({ ...options, ...countedIn(redis) })),
  );
  return async (callerKey) => {
    try {
      await run((limiter) => limiter.consume(callerKey));
      return undefined;
    } catch (error) {
      // The limiters reject with a RateLimiterRes when the caller is over its allowance.
      if (error instanceof RateLimiterRes) return Math.max(1, error.msBeforeNext);
      throw error;
    }
  };
}

function limiter(rate: CallerRate, make: (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterMemory | RateLimiterRedis) {
  return new BurstyRateLimiter(
    make({ keyPrefix: 'ecs-image-graph:rate', points: rate.calls, duration: rate.windowSeconds }),
    make({ keyPrefix: 'ecs-image-graph:burst', points: rate.burst, duration: rate.burstWindowSeconds }),
  );
}
