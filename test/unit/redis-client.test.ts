import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, describeRedis } from '../../src/stores/redis-client.js';

/** The options ioredis would connect with, for a single-node topology (the client is disconnected at once). */
function optionsOf(url: string, credentials: { username?: string; password?: string } = {}) {
  const client = createRedisClient({ kind: 'single', url, ...credentials }, { commandTimeoutMs: 500 }) as Redis;
  client.disconnect();
  return { username: client.options.username, password: client.options.password };
}

describe('REDIS_URL credentials reach ioredis, wherever they are given', () => {
  it.each([
    ['redis://:from-url@127.0.0.1:1/0', {}, { username: null, password: 'from-url' }],
    ['redis://images:from-url@127.0.0.1:1/0', {}, { username: 'images', password: 'from-url' }],
    // A user in the URL and the password from its own Secret: ioredis alone would send an empty password.
    ['redis://images@127.0.0.1:1/0', { password: 'from-secret' }, { username: 'images', password: 'from-secret' }],
    ['redis://:from-url@127.0.0.1:1/0', { username: 'images' }, { username: 'images', password: 'from-url' }],
    ['redis://127.0.0.1:1/0', { username: 'images', password: 'from-secret' }, { username: 'images', password: 'from-secret' }],
    ['redis://:p%40ss%3Aword@127.0.0.1:1/0', {}, { username: null, password: 'p@ss:word' }],
  ])('%s with %o', (url, credentials, expected) => {
    expect(optionsOf(url, credentials)).toEqual(expected);
  });

  it('a log line names the server, never its password', () => {
    expect(describeRedis({ kind: 'single', url: 'rediss://images:s3cret@redis.internal:6380/0' })).toBe('rediss://images:***@redis.internal:6380/0');
  });
});
