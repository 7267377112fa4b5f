import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { CacheStore } from './store.js';

/** A Redis command that takes longer than this counts as a miss: the cache must never slow a query down much. */
const COMMAND_TIMEOUT_MS = 250;

/**
 * A store shared by every replica. Redis is a help, never a dependency: while it is unreachable, or when
 * it dies mid-command, every read is a miss and every write is dropped, so queries answer from the
 * upstream. The outage is logged once when it starts and once when it ends, not per request; ioredis
 * keeps reconnecting in the background.
 */
export function createRedisStore(url: string, logger: Logger): CacheStore {
  const redis = new Redis(url, {
    // Fail at once while disconnected, instead of queueing commands until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let down = false;
  let closing = false;
  const markDown = (error: unknown) => {
    if (down || closing) return;
    down = true;
    logger.warn({ err: error, redis: redact(url) }, 'Redis is unreachable: the shared cache is off and queries go to the upstream until it returns');
  };
  redis.on('error', markDown);
  // A server that dies says nothing: the connection just closes, and the first error only comes with the
  // first failed reconnection. Closing is the outage.
  redis.on('close', () => markDown(new Error('the connection to Redis closed')));
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: redact(url) }, 'Redis is reachable again: the shared cache is back on');
  });
  // The first connection: the service waits for it at start, but not for long, and not at all once it fails.
  const firstConnection = new Promise<void>((resolve) => {
    redis.once('ready', resolve);
    redis.once('error', () => resolve());
    setTimeout(resolve, 2000).unref();
  });
  // While disconnected a command would only fail: skip it, it is a miss.
  const usable = () => redis.status === 'ready';

  return {
    ready: () => firstConnection,
    async get(key) {
      if (!usable()) return undefined;
      try {
        return (await redis.get(key)) ?? undefined;
      } catch (error) {
        markDown(error);
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      if (!usable()) return;
      try {
        await redis.set(key, value, 'PX', ttlMs);
      } catch (error) {
        markDown(error);
      }
    },
    async close() {
      closing = true;
      redis.disconnect();
    },
  };
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}
