import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RefusalLimit } from '../images/image-source.js';
import type { RedisLink } from './redis-link.js';

/** The window the refusals of one address are counted over. */
const WINDOW_SECONDS = 60;

/**
 * Upstream refusals (401, 403) per client address, `perMinute` at most: past it, the address is over its limit for
 * the rest of the minute. A call with an unproven credential takes a point before it is made and gives it back
 * when it is not refused, so the calls in flight are counted and `perMinute` holds however many start at once.
 * Shared by every replica through Redis (one key per address, so Cluster-safe); while Redis is out, each process
 * counts on its own. `perMinute` 0: no limit.
 */
export function createRefusalLimit(perMinute: number, redis: RedisLink | undefined): RefusalLimit {
  if (perMinute === 0) return { reserve: async () => undefined, release: async () => undefined };
  const options = { keyPrefix: 'ecs-image-graph:refused-address', points: perMinute, duration: WINDOW_SECONDS };
  const local = new RateLimiterMemory(options);
  const shared = redis && new RateLimiterRedis({ ...options, storeClient: redis.client, rejectIfRedisNotReady: true });
  /** The limiter to use now: Redis's, unless it is out. A limiter's refusal (a RateLimiterRes) is not Redis being out. */
  const run = async <T>(use: (limiter: RateLimiterMemory | RateLimiterRedis) => Promise<T>): Promise<T> => {
    if (!shared || !redis) return use(local);
    try {
      return await redis.run(() => use(shared));
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      return use(local);
    }
  };
  return {
    async reserve(address) {
      try {
        await run((limiter) => limiter.consume(address));
        return undefined;
      } catch (error) {
        if (error instanceof RateLimiterRes) return Math.max(1, error.msBeforeNext);
        throw error;
      }
    },
    async release(address) {
      await run((limiter) => limiter.reward(address));
    },
  };
}
