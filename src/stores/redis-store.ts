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
        // One GET per key, not MGET: on a Cluster the keys of one lookup (a caller's refusals and its answer) live in
        // different slots, and MGET across slots fails with CROSSSLOT. Hash tags could put them in one slot, but the
        // tag would be the caller's scope, and in service mode every caller has the same one: all the cache would sit
        // on one node. The client's auto-pipelining sends the GETs together (redis-client.ts): one round trip on a
        // single server, one per node involved on a Cluster.
        const values = await redis.run((client) => Promise.all(keys.map((key) => client.get(key))));
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
