import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { serve, type Served } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// The Redis commands one operation costs, by path, counted by the server itself (INFO commandstats, reset before each
// step) on one node: the figures of docs/redis.md ("Sizing Redis for load"). One image per operation, asked over
// HTTP so that the request has a client address, as in production; the default settings, but an allowance of 2
// calls and no burst in a long window, so that the third call is refused.

const P = DOCUMENTED_IMAGE.projectId;
const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';
const fresh = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let redis: RedisServer;
let sandbox: Sandbox;
let service: TestApp;
let served: Served;
let stats: Redis;
beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startRedis(), startSandbox({ anyImage: true })]);
  service = await appFor(sandbox.url, {
    cache: { ttlMs: 600_000, keySecret: SECRET },
    redis: { topology: redis.topology },
    callers: { rate: { calls: 2, windowSeconds: 3600, burst: 0, burstWindowSeconds: 3600 } },
  });
  served = await serve(service.app);
  stats = new Redis(redis.url);
});
afterAll(async () => {
  stats?.disconnect();
  await served?.close();
  await service?.close();
  await Promise.all([redis?.stop(), sandbox?.close()]);
});

/** Runs one operation for image `id` as `token` and returns the Redis commands it cost, by name, and its upstream calls. */
async function commandsOf(token: string, id: string): Promise<{ commands: Record<string, number>; upstreamCalls: number; answer: unknown }> {
  await stats.config('RESETSTAT');
  const before = sandbox.requests.length;
  const response = await fetch(`${served.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({ query: `{ image(projectId: "${P}", id: "${id}") { id } }` }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string } }> };
  await service.services.cache.settled();
  const commands: Record<string, number> = {};
  for (const [, name, calls] of String(await stats.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    // The test's own: CONFIG RESETSTAT, and INFO (counted once it has answered).
    if (name === 'config|resetstat' || name === 'info') continue;
    commands[name!] = Number(calls);
  }
  return { commands, upstreamCalls: sandbox.requests.length - before, answer: body.errors ? body.errors.map((error) => error.extensions.code) : body.data };
}

describe('Redis commands per operation, one node', () => {
  it('counts them by path: cold, warm, refused by the allowance', async () => {
    // The rate limiter's script is loaded once per server (EVALSHA, then EVAL after NOSCRIPT): not per operation.
    await commandsOf('warm-up', fresh(99));

    const cold = await commandsOf('alice', fresh(1));
    const warm = await commandsOf('alice', fresh(1));
    await commandsOf('alice', fresh(2)); // the second call of the allowance
    const limited = await commandsOf('alice', fresh(3));

    const total = (commands: Record<string, number>) => Object.values(commands).reduce((sum, calls) => sum + calls, 0);
    console.log(
      'Redis commands per operation (one image, one node; the commands the limiter\'s script runs included): ' +
        Object.entries({ cold, warm, limited })
          .map(([path, { commands }]) => `${path} ${total(commands)} ${JSON.stringify(commands)}`)
          .join('; '),
    );
    // Cold: the lookup (3 GETs: the caller's refusals, everywhere and in the project, and the answer), the allowance
    // (1 EVALSHA, whose script runs SET NX, INCRBY and PTTL), and the answer's write (1 SET): 5 commands sent, 8 run.
    expect(cold).toEqual({ commands: { get: 3, evalsha: 1, set: 2, incrby: 1, pttl: 1 }, upstreamCalls: 1, answer: { image: { id: fresh(1) } } });
    // Warm: the lookup alone.
    expect(warm).toEqual({ commands: { get: 3 }, upstreamCalls: 0, answer: { image: { id: fresh(1) } } });
    // Refused: the lookup, and both limiters (the allowance, then the burst behind it): 5 commands sent, 11 run.
    expect(limited).toEqual({ commands: { get: 3, evalsha: 2, set: 2, incrby: 2, pttl: 2 }, upstreamCalls: 0, answer: ['RATE_LIMITED'] });
  });
});
