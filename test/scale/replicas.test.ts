import { setInterval as every } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { appFor, metadataPath, type AppOptions, type GraphQLResponse, type TestApp } from '../helpers/stack.js';

// Shared means shared: three replicas (each its own service instance, with its own connection pool, loaders, Redis
// connection and in-process fallback limiter, as three processes would have) on one redis-server. What one replica
// learns (a caller's spent allowance, a refused credential, an image) every other one knows. That two replicas share
// the cache is also in test/e2e/redis-cache.test.ts; here it is three, as in docs/scaling.md.

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const OTHER_PROJECT = '0000000000000000000000000000beef';
const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const REPLICAS = 3;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/** `REPLICAS` service instances on the one Redis, in front of `upstream`, with the production cache settings. */
async function replicas(upstream: Sandbox, options: AppOptions = {}): Promise<TestApp[]> {
  const cache = { ttlMs: 300_000, notFoundTtlMs: 60_000, keySecret: SECRET, ...options.cache };
  // A command timeout of 5 s, not the default: on a loaded test machine a command may take longer than the default,
  // and the replica would then count on its own for a while (as documented), which is not what these tests measure.
  return Promise.all(Array.from({ length: REPLICAS }, () => appFor(upstream.url, { ...options, cache, redis: { topology: redis.topology, commandTimeoutMs: 5000, ...options.redis } })));
}

/** Runs `test` against `REPLICAS` replicas in front of a sandbox of its own, closing everything whatever happens. */
async function withReplicas(sandbox: Parameters<typeof startSandbox>[0], options: AppOptions, test: (services: TestApp[], upstream: Sandbox) => Promise<void>) {
  const upstream = await startSandbox(sandbox);
  const services = await replicas(upstream, options);
  try {
    await test(services, upstream);
  } finally {
    await Promise.all([...services.map((service) => service.close()), upstream.close()]);
  }
}

const codesOf = (body: GraphQLResponse['body']) => (body.errors ?? []).map((error) => error.extensions?.['code']);
const imageQuery = (projectId: string, id: string) => `{ image(projectId: "${projectId}", id: "${id}") { id } }`;

describe('three replicas on one Redis, one caller', () => {
  it('share one allowance: 10 s of fresh ids spread over the replicas make at most 1.2 x 5 calls/s x 10 s upstream calls', { timeout: 30_000 }, async () => {
    // UPSTREAM_CALLS_PER_CALLER_PER_SECOND=5, UPSTREAM_CALLS_PER_CALLER_BURST=0 (Redis commands get 5 s: see replicas()).
    const rate = { calls: 5, windowSeconds: 1, burst: 0, burstWindowSeconds: 10 };
    const logs = captureLogs();
    await withReplicas({ anyImage: true }, { callers: { rate }, logger: logs.logger }, async (services, upstream) => {
      const DRIVE_MS = 10_000;
      const allowance = rate.calls * (DRIVE_MS / 1000);
      // One query every 10 ms, each for an id never asked before, to the replicas in turn: 100 calls a second
      // wanted, twenty times the allowance, so that every window of the limiter is full.
      //
      // Window edges: the limiter's window starts with the first call after the last one expired (a key with a 1 s
      // TTL in Redis), so the windows of a caller who keeps asking follow each other and every call falls in one.
      // Calls asked for during 10 s fall in at most 11 windows (10 whole ones, and one begun in the last moment,
      // whose 5 calls the drive's end cuts short or not): 55 calls, 1.1 x, at worst. Nothing else lets a call
      // through: a replica that counted on its own (a Redis command slower than REDIS_COMMAND_TIMEOUT_MS) would add
      // its own 5 a second, which is what the 1.2 x of the issue leaves room for and no more.
      const answers: Array<Promise<{ replica: number; codes: unknown[]; answered: number }>> = [];
      const started = performance.now();
      let n = 0;
      for await (const _ of every(10)) {
        if (performance.now() - started >= DRIVE_MS) break;
        const replica = n % REPLICAS;
        answers.push(
          services[replica]!.query(imageQuery(P, uuid(n)), { headers: { 'x-auth-token': 'one-caller' } }).then(({ body }) => ({
            replica,
            codes: codesOf(body),
            answered: body.data?.['image'] ? 1 : 0,
          })),
        );
        n += 1;
      }
      const settled = await Promise.all(answers);
      const calls = upstream.requests.length;
      const answeredBy = Array.from({ length: REPLICAS }, (_, replica) => settled.filter((answer) => answer.replica === replica).reduce((sum, answer) => sum + answer.answered, 0));
      console.log(
        `one caller, ${REPLICAS} replicas, ${rate.calls} calls/s, burst 0: ${settled.length} queries of fresh ids in ${DRIVE_MS / 1000} s made ${calls} upstream calls ` +
          `(one allowance: ${allowance}; ${(calls / allowance).toFixed(2)} x), answered by replica: ${answeredBy.join(', ')}`,
      );

      expect(calls).toBeLessThanOrEqual(1.2 * allowance);
      // The allowance is spent, not refused: together at least the 9 whole windows' calls, and every replica made some.
      expect(calls).toBeGreaterThanOrEqual(rate.calls * 9);
      expect(answeredBy.every((count) => count > 0)).toBe(true);
      // Each image was either answered (from its one upstream call) or refused with RATE_LIMITED, and nothing else.
      expect(settled.reduce((sum, answer) => sum + answer.answered, 0)).toBe(calls);
      expect(settled.flatMap((answer) => answer.codes).filter((code) => code !== 'RATE_LIMITED')).toEqual([]);
      expect(settled.filter((answer) => answer.answered === 0 && answer.codes.length === 0)).toEqual([]);
      // Redis was there throughout: no replica fell back to counting on its own for long enough to say so.
      expect(logs.lines.filter((line) => String(line['msg']).startsWith('Redis'))).toEqual([]);
    });
  });

  it('know a 401 that one of them was told: the other replicas refuse that credential without an upstream call', async () => {
    // UPSTREAM_AUTH_FAILURE_CACHE_SECONDS=60
    await withReplicas({ revokedTokens: new Set(['junk']) }, { callers: { refusalTtlMs: 60_000 } }, async ([first, second, third], upstream) => {
      const headers = { 'x-auth-token': 'junk' };
      expect(codesOf((await first!.query(imageQuery(P, DOC), { headers })).body)).toEqual(['UNAUTHENTICATED']);
      // The refusal is written in the background, as the answer is: a query a moment later finds it.
      await first!.services.cache.settled();
      expect(codesOf((await second!.query(imageQuery(P, uuid(1)), { headers })).body)).toEqual(['UNAUTHENTICATED']);
      expect(codesOf((await third!.query(imageQuery(OTHER_PROJECT, uuid(2)), { headers })).body)).toEqual(['UNAUTHENTICATED']);
      expect(upstream.requests.map((request) => request.path)).toEqual([metadataPath(P, DOC)]);
      // Another caller is not affected, on any replica.
      expect((await third!.query(imageQuery(P, DOC), { headers: { 'x-auth-token': 'good' } })).body).toEqual({ data: { image: { id: DOC } } });
      expect(upstream.requests).toHaveLength(2);
    });
  });

  it('know a 403 that one of them was told: that caller is not sent to that project by any replica, other projects still are', async () => {
    await withReplicas({}, { callers: { refusalTtlMs: 60_000 } }, async ([first, second, third], upstream) => {
      const headers = { 'x-auth-token': 'alice' };
      expect(codesOf((await first!.query(imageQuery(P, FAULTS.forbidden.imageId), { headers })).body)).toEqual(['FORBIDDEN']);
      await first!.services.cache.settled();
      expect(codesOf((await second!.query(imageQuery(P, DOC), { headers })).body)).toEqual(['FORBIDDEN']);
      expect(codesOf((await third!.query(imageQuery(P, DOC), { headers })).body)).toEqual(['FORBIDDEN']);
      expect((await third!.query(imageQuery(OTHER_PROJECT, DOC), { headers })).body).toEqual({ data: { image: null } });
      expect(upstream.requests.map((request) => request.path)).toEqual([metadataPath(P, FAULTS.forbidden.imageId), metadataPath(OTHER_PROJECT, DOC)]);
    });
  });

  it('answer an image one of them cached from Redis: the other replicas make 0 upstream calls', async () => {
    await withReplicas({}, {}, async ([first, second, third], upstream) => {
      const headers = { 'x-auth-token': 'bob' };
      const query = `{ image(projectId: "${P}", id: "${DOC}") { id osType metadata { key value } } }`;
      const fromUpstream = await first!.query(query, { headers });
      expect(fromUpstream.body.data?.['image']).toMatchObject({ id: DOC, osType: 'LINUX' });
      await first!.services.cache.settled();
      expect(upstream.requests).toHaveLength(1);
      expect((await second!.query(query, { headers })).body).toEqual(fromUpstream.body);
      expect((await third!.query(query, { headers })).body).toEqual(fromUpstream.body);
      expect(upstream.requests).toHaveLength(1);
    });
  });
});
