import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RefusalLimit } from '../images/image-source.js';
import type { RedisLink } from './redis-link.js';

/** The window the refusals of one address are counted over. */
const WINDOW_SECONDS = 60;

/**
 * Upstream refusals (401, 403) per client address, `perMinute` at most: past it, the address is over its limit for
 * the rest of the minute. Shared by every replica through Redis (one key per address, so Cluster-safe); while
 * Redis is out, each process counts on its own. `perMinute` 0: no limit.
 */
export function createRefusalLimit(perMinute: number, redis: RedisLink | undefined): RefusalLimit {
  if (perMinute === 0) return { blockedFor: async () => undefined, charge: async () => undefined };
  const options = { keyPrefix: 'ecs-image-graph:refused-address', points: perMinute, duration: WINDOW_SECONDS };
  const local = new RateLimiterMemory(options);
  const shared = redis && new RateLimiterRedis({ ...options, storeClient: redis.client, rejectIfRedisNotReady: true });
  /** The limiter to use now: Redis's, unless it is out. */
  const run = async <T>(use: (limiter: RateLimiterMemory | RateLimiterRedis) => Promise<T>): Promise<T> => {
    if (!shared || !redis) return use(local);
    return redis.run(() => use(shared)).catch(() => use(local));
  };
  return {
    async blockedFor(address) {
      const counted = await run((limiter) => limiter.get(address));
      return counted && counted.consumedPoints >= perMinute ? Math.max(1, counted.msBeforeNext) : undefined;
    },
    async charge(address) {
      // penalty() counts without ever rejecting: the refusal already happened.
      await run((limiter) => limiter.penalty(address));
    },
  };
}
