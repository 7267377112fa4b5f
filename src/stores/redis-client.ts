import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../config/index.js';

/** A connection to Redis, whichever the topology: the commands the service sends are the same on each. */
export type RedisClient = Redis | Cluster;

/** What CLIENT LIST shows for the service's connections, so that an operator can tell them apart. */
export const CONNECTION_NAME = 'ecs-image-graph';

/** How long to wait before reconnecting, attempt after attempt: soon after a failover, never faster than every 2 s after. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2000);

/**
 * The ioredis client for `topology`. Every command fails at once while there is no connection (no offline queue, no
 * retry: the caller falls back, see redis-link.ts) and within `commandTimeoutMs` when Redis does not answer.
 *
 * Every key the service writes is used by single-key commands (GET, SET, the rate limiter's script and MULTI on
 * one key), so every topology takes them, Cluster included. Auto-pipelining sends the commands issued in one tick
 * together, one batch per node: a cache lookup's three GETs cost one round trip on a single server and at most one
 * per node on a Cluster, without a multi-key command.
 */
export function createRedisClient(topology: RedisTopology, options: { commandTimeoutMs: number }): RedisClient {
  const node: RedisOptions = {
    username: topology.username,
    password: topology.password,
    connectionName: CONNECTION_NAME,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    enableAutoPipelining: true,
    // A master demoted by a failover answers writes with READONLY, and ioredis would go on writing to it
    // (ioredis#1314, #1059): a new connection asks the sentinels (or a managed endpoint's DNS) for the master again.
    // The write that failed is dropped, as when Redis is away (1: reconnect, without resending it).
    reconnectOnError: (error) => (isReadOnly(error) ? 1 : false),
  };
  const standalone: RedisOptions = { ...node, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: reconnectDelay };
  switch (topology.kind) {
    case 'single':
      return new Redis(...withCredentials(topology.url, standalone));
    case 'sentinel':
      return new Redis({
        ...standalone,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.master,
        sentinelPassword: topology.sentinelPassword,
        sentinelCommandTimeout: 2000,
        // Subscribes to the sentinels' +switch-master: the connection moves to the new master as soon as they announce
        // it, rather than when the old one fails a command.
        failoverDetector: true,
      });
    case 'cluster':
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        {
          // Each node's connection queues while it connects (ioredis needs it; the command timeout still bounds it).
          redisOptions: { ...node, maxRetriesPerRequest: 0 },
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: reconnectDelay,
        },
      );
  }
}

/**
 * The URL without its credentials, and the options with them: the URL's own, else REDIS_USERNAME and REDIS_PASSWORD
 * (config/redis.ts refuses one in both places). Given a URL with a user name but no password, ioredis would take
 * the URL's empty password over the option's, and send the wrong AUTH for good.
 */
function withCredentials(href: string, options: RedisOptions): [string, RedisOptions] {
  const url = new URL(href);
  const username = url.username === '' ? options.username : decodeURIComponent(url.username);
  const password = url.password === '' ? options.password : decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return [url.href, { ...options, username, password }];
}

/** Where Redis is, for a log line: never a password. */
export function describeRedis(topology: RedisTopology): string {
  const list = (nodes: ReadonlyArray<{ host: string; port: number }>) => nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
  switch (topology.kind) {
    case 'single': {
      const url = new URL(topology.url);
      if (url.password) url.password = '***';
      // ioredis reads options from the query (config/redis.ts refuses one; never logged all the same).
      url.search = '';
      return url.href;
    }
    case 'sentinel':
      return `sentinel master ${topology.master} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster of ${list(topology.nodes)}`;
  }
}

export function isReadOnly(error: Error): boolean {
  return error.message.startsWith('READONLY');
}

/**
 * An ioredis error as a log line may carry it: its name and message only. ioredis attaches the failed command to its
 * errors (`command.args`), and the command that fails when the password is wrong is AUTH, whose arguments are the
 * user name and the password.
 */
export function loggableRedisError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const clean = new Error(error.message);
  clean.name = error.name;
  if (error.stack !== undefined) clean.stack = error.stack;
  return clean;
}
