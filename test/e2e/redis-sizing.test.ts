import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// What the service keeps in Redis, by path, with the defaults: which keys one operation writes, how long each
// lives and how much memory it takes (docs/caching.md, "Sizing Redis", quotes these figures).

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const UBUNTU = SAMPLE_IMAGES[2]!; // the 20-key sample
const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';

let redis: RedisServer;
let sandbox: Sandbox;
let service: TestApp;
let client: Redis;
beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startRedis(), startSandbox()]);
  client = new Redis(redis.url);
  // The defaults, but for the cache's secret that Redis requires in passthrough.
  service = await appFor(sandbox.url, {
    cache: { ttlMs: 60_000, notFoundTtlMs: 10_000, staleIfErrorMs: 300_000, keySecret: SECRET },
    redis: { topology: redis.topology },
    callers: { rate: { calls: 20, windowSeconds: 1, burst: 200, burstWindowSeconds: 10 }, refusalTtlMs: 5000, refusalsPerAddressPerMinute: 20 },
  });
});
afterAll(async () => {
  client.disconnect();
  await service.close();
  await Promise.all([redis.stop(), sandbox.close()]);
});

/** Every key now, with what kind of key it is, its TTL (s) and its memory (bytes, MEMORY USAGE). */
async function keys() {
  const names = await client.keys('*');
  const kinds = await Promise.all(
    names.map(async (name) => ({
      kind: name.replace(/token:[\w-]+/, 'token:<scope>').replace(/[0-9a-f]{32}:[0-9a-f-]{36}/, '<project>:<image>').replace(/[0-9a-f]{32}:refused/, '<project>:refused'),
      ttlSeconds: Math.ceil((await client.pttl(name)) / 1000),
      bytes: (await client.memory('USAGE', name)) ?? 0,
    })),
  );
  return kinds.sort((a, b) => a.kind.localeCompare(b.kind));
}

const ask = async (token: string, imageId: string) => {
  await service.query(`{ image(projectId: "${P}", id: "${imageId}") { id osType metadata { key value } } }`, { headers: { 'x-auth-token': token } });
  await service.services.cache.settled();
};

describe('Redis, key by key', () => {
  it('a cold read writes the answer and the caller allowance; a warm read writes nothing; a refusal writes its memory', async () => {
    await client.flushall();
    await ask('caller-a', DOC);
    const cold = await keys();
    expect(cold.map(({ kind, ttlSeconds }) => [kind, ttlSeconds])).toEqual([
      ['ecs-image-graph:rate:token:<scope>', 1],
      ['ecs-image-graph:v2:token:<scope>:<project>:<image>', 360],
    ]);
    await ask('caller-a', DOC);
    expect((await keys()).map(({ kind }) => kind)).toEqual(cold.map(({ kind }) => kind));

    await ask('caller-b', UBUNTU.imageId);
    await ask('caller-c', FAULTS.unauthorized.imageId);
    const all = await keys();
    const sizes = Object.fromEntries(all.map(({ kind, bytes }) => [kind, bytes]));
    // The documented image (10 pairs) and the 20-pair sample: a few hundred bytes each.
    const answers = all.filter(({ kind }) => kind.endsWith('<project>:<image>')).map(({ bytes }) => bytes);
    expect(answers).toHaveLength(2);
    for (const bytes of answers) expect(bytes).toBeLessThan(2048);
    expect(all.map(({ kind, ttlSeconds }) => [kind, ttlSeconds])).toEqual([
      ['ecs-image-graph:rate:token:<scope>', 1],
      ['ecs-image-graph:rate:token:<scope>', 1],
      ['ecs-image-graph:rate:token:<scope>', 1],
      ['ecs-image-graph:v2:token:<scope>:<project>:<image>', 360],
      ['ecs-image-graph:v2:token:<scope>:<project>:<image>', 360],
      ['ecs-image-graph:v2:token:<scope>:refused', 360],
    ]);
    console.log(`Redis memory per key (MEMORY USAGE): ${JSON.stringify(sizes)}; answers: ${answers.join(', ')} bytes`);
  });
});
