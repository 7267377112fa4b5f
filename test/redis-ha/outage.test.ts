import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { ALLOWANCE, PROBE_RATE, SharedStateProbe } from '../helpers/shared-state-probe.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// What two replicas of the service do while their one redis-server is away (SIGKILL), and once it is back (started
// again on its port, empty: no persistence), under steady load (test/helpers/shared-state-probe.ts): every operation
// answers; while Redis is away the cache is skipped and each replica counts allowances on its own (so a caller gets
// at most one allowance per replica, and the hammer gets exactly that); once Redis is back, both share the cache and
// the allowances again, without a restart of the service. docs/redis.md says the same to operators.

const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';
const REPLICAS = 2;

let redis: RedisServer;
let sandbox: Sandbox;
beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startRedis(), startSandbox({ anyImage: true })]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), sandbox?.close()]);
});

describe('Redis away, then back, under load', () => {
  it('skips the cache and counts per replica while Redis is away (one allowance per replica at worst), and shares both again once it is back, with 0 failed operations', async () => {
    const logs = captureLogs();
    const options = { cache: { ttlMs: 600_000, keySecret: SECRET }, redis: { topology: redis.topology }, callers: { rate: PROBE_RATE } };
    const replicas: TestApp[] = await Promise.all([appFor(sandbox.url, { ...options, logger: logs.logger }), appFor(sandbox.url, options)]);
    const probe = new SharedStateProbe([replicas[0]!, replicas[1]!], sandbox);
    try {
      probe.start();
      await Promise.all([probe.hammerSpent(), probe.sharedFor(3, 0)]);
      expect(probe.hammerCalls()).toBe(ALLOWANCE);

      const killedAt = performance.now();
      await redis.kill();
      // Every round that starts while Redis is away finds neither the cache nor the allowance shared...
      const away = await probe.roundsSince(3, performance.now());
      expect(away.map((round) => [round.cacheShared, round.limitShared])).toEqual(Array(3).fill([false, false]));
      // ...and the hammer gets one more allowance from each replica's own count, no more: refused by both again.
      await probe.hammerRefusedSince(REPLICAS, performance.now());
      expect(probe.hammerCalls()).toBe(ALLOWANCE + REPLICAS * ALLOWANCE);

      const restartedAt = performance.now();
      await redis.restart();
      await probe.sharedFor(3, restartedAt);
      const back = performance.now();
      // Redis came back empty: the shared count starts again, and the hammer gets one allowance from it, once.
      await probe.hammerRefusedSince(REPLICAS, back);
      await probe.stop();
      expect(probe.hammerCalls()).toBe(ALLOWANCE + REPLICAS * ALLOWANCE + ALLOWANCE);
      expect(probe.failures).toEqual([]);
      expect(logs.lines.filter((line) => String(line['msg']).startsWith('Redis is')).map((line) => [line['level'], line['msg']])).toEqual([
        [40, 'Redis is unreachable: the shared cache is off and queries go to the upstream until it returns'],
        [30, 'Redis is reachable again: the shared cache is back on'],
      ]);
      const { cacheSeconds, limitSeconds } = probe.sharedAgainAfter(restartedAt);
      console.log(
        `Redis away for ${((restartedAt - killedAt) / 1000).toFixed(2)} s, then back (empty): ${probe.operations} operations, ${probe.failures.length} failed; ` +
          `cache shared again ${cacheSeconds.toFixed(2)} s after the restart, allowances after ${limitSeconds.toFixed(2)} s; ` +
          `the hammer got ${REPLICAS * ALLOWANCE} calls over its allowance of ${ALLOWANCE} while Redis was away (${REPLICAS} replicas x ${ALLOWANCE}), ` +
          `and ${ALLOWANCE} more from the emptied Redis`,
      );
    } finally {
      await probe.stop();
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
