import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisLink } from './redis-link.js';

/** What a RateLimiterRedis needs to count in `redis`: a command fails at once while it is not connected. */
export const countedIn = (redis: RedisLink) => ({ storeClient: redis.client, rejectIfRedisNotReady: true });

/**
 * Runs a limiter operation on the limiter shared by every replica through Redis, or on this process's own while
 * Redis is out or skipped (each replica then counts alone). A limiter's own refusal, a RateLimiterRes, is an answer,
 * not Redis being out: it is passed on.
 */
export function sharedOrLocal<L>(redis: RedisLink | undefined, local: L, shared: L | undefined) {
  return async <T>(use: (limiter: L) => Promise<T>): Promise<T> => {
    if (!shared || !redis) return use(local);
    try {
      return await redis.run(() => use(shared));
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      return use(local);
    }
  };
}
