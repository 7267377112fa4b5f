import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { callerFingerprint, startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';
import { appFor, metadataPath, type AppOptions, type TestApp } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const QUERY = `{ image(projectId: "${P}", id: "${DOC}") { id osType metadata { key value } } }`;
const TOKEN = 'MIIZtoken-of-a-real-caller-that-must-never-be-stored';
const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';

let redis: RedisServer;
let sandbox: Sandbox;
beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startRedis(), startSandbox()]);
});
afterAll(async () => {
  await Promise.all([redis.stop(), sandbox.close()]);
});

/** A service instance using the shared Redis; each one is a separate replica with its own pool and loaders (a
 * command timeout no loaded machine reaches: these tests count exact upstream calls). */
function replica(options: AppOptions = {}): Promise<TestApp> {
  return appFor(sandbox.url, { cache: { ttlMs: 60_000, notFoundTtlMs: 10_000, keySecret: SECRET }, redis: { topology: redis.topology, commandTimeoutMs: 5000 }, ...options });
}

async function allKeysAndValues(): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('*');
    const values = await Promise.all(keys.map((key) => client.get(key)));
    return [...keys, ...values.map(String)];
  } finally {
    client.disconnect();
  }
}

describe('the shared cache in Redis', () => {
  it("lets a second replica's first query answer with no upstream call", async () => {
    sandbox.requests.length = 0;
    const [first, second] = await Promise.all([replica(), replica()]);
    try {
      const fromUpstream = await first.query(QUERY, { headers: { 'x-auth-token': TOKEN } });
      // The write to Redis does not hold the response; wait for it, as a second request a moment later would.
      await first.services.cache.settled();
      const fromRedis = await second.query(QUERY, { headers: { 'x-auth-token': TOKEN } });
      expect(fromRedis.body).toEqual(fromUpstream.body);
      expect(fromUpstream.body.data?.['image']).toMatchObject({ id: DOC, osType: 'LINUX' });
      expect(sandbox.requests.map((request) => request.path)).toEqual([metadataPath(P, DOC)]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("never serves one token's answer to another, across replicas", async () => {
    const identifying = await startSandbox({ identifyCaller: true });
    const options = { cache: { ttlMs: 60_000, notFoundTtlMs: 10_000, keySecret: SECRET }, redis: { topology: redis.topology, commandTimeoutMs: 5000 } };
    const [first, second] = await Promise.all([appFor(identifying.url, options), appFor(identifying.url, options)]);
    try {
      const callerOf = async (service: TestApp, token: string) => {
        const { body } = await service.query(QUERY, { headers: { 'x-auth-token': token } });
        return (body.data?.['image'] as { metadata: Array<{ key: string; value: string }> }).metadata.find((entry) => entry.key === 'sandbox_caller')?.value;
      };
      expect(await callerOf(first, 'token-one')).toBe(callerFingerprint('token-one'));
      await first.services.cache.settled();
      expect(await callerOf(second, 'token-two')).toBe(callerFingerprint('token-two'));
      expect(await callerOf(second, 'token-one')).toBe(callerFingerprint('token-one'));
      expect(identifying.requests.map((request) => request.headers['x-auth-token'])).toEqual(['token-one', 'token-two']);
    } finally {
      await Promise.all([first.close(), second.close(), identifying.close()]);
    }
  });

  it('stores no token: keys hold a keyed hash of it, values only metadata', async () => {
    const stored = await allKeysAndValues();
    expect(stored.length).toBeGreaterThan(0);
    for (const token of [TOKEN, 'token-one', 'token-two']) expect(stored.some((text) => text.includes(token))).toBe(false);
    const keys = stored.filter((text) => text.startsWith('ecs-image-graph:'));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) expect(key).toMatch(new RegExp(`^ecs-image-graph:v2:token:[A-Za-z0-9_-]{43}:${P}:${DOC}$`));
  });

  it('keeps the answers of IMAGE_BACKEND=ims apart from those of ecs: switching never serves the other API\'s entry', async () => {
    const headers = { 'x-auth-token': 'token-across-backends' };
    const [ecs, ims, ecsAgain] = await Promise.all([replica(), replica({ backend: { kind: 'ims' } }), replica()]);
    try {
      sandbox.requests.length = 0;
      const fromEcs = await ecs.query(QUERY, { headers });
      await ecs.services.cache.settled();
      const fromIms = await ims.query(QUERY, { headers });
      await ims.services.cache.settled();
      expect(fromIms.body).toEqual(fromEcs.body);
      // Each API was asked once; a third replica on ECS reads ECS's entry.
      expect((await ecsAgain.query(QUERY, { headers })).body).toEqual(fromEcs.body);
      expect(sandbox.requests.map((request) => request.path)).toEqual([metadataPath(P, DOC), `/v2/cloudimages?id=${DOC}`]);
    } finally {
      await Promise.all([ecs.close(), ims.close(), ecsAgain.close()]);
    }
  });

  it('keeps answering from the upstream while Redis is down, warns once, and uses Redis again when it returns', async () => {
    const logs = captureLogs();
    const service = await replica({ logger: logs.logger });
    try {
      await service.query(QUERY);
      await service.query(QUERY);
      sandbox.requests.length = 0;

      await redis.kill();
      for (let n = 0; n < 5; n += 1) {
        const { body } = await service.query(QUERY);
        expect(body.data?.['image']).toMatchObject({ id: DOC, osType: 'LINUX' });
      }
      expect(sandbox.requests).toHaveLength(5);
      await logs.waitFor((line) => line['level'] === 40);
      const warnings = logs.lines.filter((line) => line['level'] === 40);
      expect(warnings.map((line) => line['msg'])).toEqual(['Redis is unreachable: the shared cache is off and queries go to the upstream until it returns']);

      await redis.restart();
      await logs.waitFor((line) => line['msg'] === 'Redis is reachable again: the shared cache is back on');
      sandbox.requests.length = 0;
      await service.query(QUERY);
      await service.query(QUERY);
      expect(sandbox.requests).toHaveLength(1);
      expect(logs.lines.filter((line) => line['level'] === 40)).toHaveLength(1);
    } finally {
      await service.close();
    }
  });

  it('answers when Redis was never reachable at all, and says so without its password', async () => {
    const logs = captureLogs();
    const port = await freePort();
    const service = await appFor(sandbox.url, {
      cache: { ttlMs: 60_000, keySecret: SECRET },
      redis: { topology: { kind: 'single', url: `redis://:the-redis-password@127.0.0.1:${port}` } },
      logger: logs.logger,
    });
    try {
      sandbox.requests.length = 0;
      for (let n = 0; n < 3; n += 1) {
        expect((await service.query(QUERY)).body.data?.['image']).toMatchObject({ id: DOC });
      }
      expect(sandbox.requests).toHaveLength(3);
      await logs.waitFor((line) => line['level'] === 40);
      expect(logs.lines.filter((line) => line['level'] === 40)).toEqual([expect.objectContaining({ redis: `redis://:***@127.0.0.1:${port}` })]);
      expect(logs.raw.join('\n')).not.toContain('the-redis-password');
    } finally {
      await service.close();
    }
  });
});
