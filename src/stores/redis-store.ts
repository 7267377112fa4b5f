import { decodeRecord, encodeRecord } from './record-codec.js';
import type { RedisLink } from './redis-link.js';
import type { CacheStore } from '../images/cache/store.js';

/**
 * A store shared by every replica. While Redis is unreachable, frozen or failing (see {@link RedisLink}),
 * every read is a miss and every write is dropped, so queries answer from the upstream.
 */
export function createRedisStore(redis: RedisLink): CacheStore {
  return {
    ready: () => redis.ready(),
    async getMany(keys) {
      try {
        const values = await redis.run((client) => client.mget(...keys));
        return values.map((value) => (value === null ? undefined : decodeRecord(value)));
      } catch {
        return keys.map(() => undefined);
      }
    },
    async set(key, record, ttlMs) {
      await redis.run((client) => client.set(key, encodeRecord(record), 'PX', ttlMs)).catch(() => undefined);
    },
    close: () => redis.close(),
  };
}
