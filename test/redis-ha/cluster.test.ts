import { performance } from 'node:perf_hooks';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RedisTopology } from '../../src/config/index.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES } from '../../src/sandbox/samples.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { scrape } from '../helpers/metrics.js';
import { serve } from '../helpers/net.js';
import { startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { ALLOWANCE, PROBE_RATE, SharedStateProbe } from '../helpers/shared-state-probe.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// Every key layout on a real Redis Cluster (three masters, slots spread evenly by `redis-cli --cluster create`): the
// whole cache and limiter surface, through two replicas of the service over HTTP, gives exactly what it gives on one
// redis-server, with no cross-slot command (counted by every node, INFO errorstats). Both checks are needed: a
// cross-slot command sent alone reaches a node, which refuses it with CROSSSLOT; sent in an auto-pipeline, ioredis
// refuses it before sending it, and only the answers differ (the lookup misses).

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const SAMPLES = SAMPLE_IMAGES.slice(1, 4).map((image) => image.imageId);
const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';
const fresh = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** Each caller's allowance: 10 calls and 2 of burst, in windows longer than the test, so that every count is exact. */
const RATE = { calls: 10, windowSeconds: 3600, burst: 2, burstWindowSeconds: 3600 };
const REFUSALS_PER_ADDRESS = 4;

let single: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [single, cluster] = await Promise.all([startRedis(), startCluster(3)]);
});
afterAll(async () => {
  await Promise.all([single?.stop(), cluster?.stop()]);
});

/** What one request got: its images' ids (null when absent), or its errors' codes, and the upstream calls it cost. */
interface Outcome {
  readonly step: string;
  readonly answer: unknown;
  readonly upstreamCalls: number;
}

/**
 * The surface, step by step, on two replicas sharing `topology`: cache writes and reads (one image, a list), the
 * negative cache, the per-caller allowance and its burst, the remembered refusals (401 everywhere, 403 in a
 * project), the per-address refusal limit and, last, a stale answer when the upstream is gone. Each replica is
 * served over HTTP on loopback, so that requests come from an address (127.0.0.1).
 */
async function runSurface(topology: RedisTopology): Promise<{ outcomes: Outcome[]; hits: number; misses: number }> {
  const revoked = new Set(['carol', 'junk-1', 'junk-2', 'junk-3', 'junk-4']);
  const sandbox = await startSandbox({ anyImage: true, revokedTokens: revoked });
  const options = {
    cache: { ttlMs: 60_000, notFoundTtlMs: 10_000, staleIfErrorMs: 300_000, keySecret: SECRET },
    redis: { topology, commandTimeoutMs: 5000 },
    callers: { rate: RATE, refusalTtlMs: 5000, refusalsPerAddressPerMinute: REFUSALS_PER_ADDRESS },
    upstream: { retries: 0 },
    tokenRequired: true,
  };
  const replicas: TestApp[] = await Promise.all([appFor(sandbox.url, options), appFor(sandbox.url, options)]);
  const servers = await Promise.all(replicas.map((replica) => serve(replica.app)));
  const outcomes: Outcome[] = [];
  /** Asks replica `on` (0 or 1), as `token`, and waits for its cache writes, as a request a moment later would. */
  const ask = async (step: string, on: number, token: string, field: string) => {
    const before = sandbox.requests.length;
    const response = await fetch(`${servers[on]!.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify({ query: `{ ${field} }` }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ extensions: { code: string } }> };
    await replicas[on]!.services.cache.settled();
    outcomes.push({ step, answer: body.errors ? body.errors.map((error) => error.extensions.code) : body.data, upstreamCalls: sandbox.requests.length - before });
  };
  const image = (id: string) => `image(projectId: "${P}", id: "${id}") { id }`;
  const images = (ids: readonly string[]) => `images(projectId: "${P}", ids: ${JSON.stringify(ids)}) { id }`;
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    await ask('cold read', 0, 'alice', image(DOC));
    await ask('warm read on the other replica', 1, 'alice', image(DOC));
    await ask('cold list', 1, 'alice', images(SAMPLES));
    await ask('warm list on the other replica', 0, 'alice', images(SAMPLES));
    await ask('not found', 0, 'alice', image(FAULTS.notFound.imageId));
    await ask('not found, cached', 1, 'alice', image(FAULTS.notFound.imageId));
    for (let n = 0; n < 14; n += 1) await ask('allowance', n % 2, 'bob', image(fresh(n)));
    await ask('401', 0, 'carol', image(DOC));
    await ask('401 remembered on the other replica', 1, 'carol', image(SAMPLES[0]!));
    await ask('403', 1, 'dave', image(FAULTS.forbidden.imageId));
    await ask('403 remembered in the project on the other replica', 0, 'dave', image(DOC));
    for (let n = 1; n <= 4; n += 1) await ask('refusals per address', n % 2, `junk-${n}`, image(DOC));
    // Past the TTL, with the upstream gone: the answer kept for stale-if-error stands in.
    vi.setSystemTime(Date.now() + 61_000);
    await sandbox.close();
    await ask('stale when the upstream is gone', 1, 'alice', image(DOC));
    const metrics = await Promise.all(replicas.map((replica) => scrape(replica.app)));
    const total = (result: string) => metrics.reduce((sum, scraped) => sum + scraped.value('ecs_image_graph_cache_lookups_total', { result }), 0);
    return { outcomes, hits: total('hit'), misses: total('miss') };
  } finally {
    vi.useRealTimers();
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(replicas.map((replica) => replica.close()));
    await sandbox.close();
  }
}

/**
 * INFO errorstats of every node of the cluster, by error (CROSSSLOT, NOSCRIPT...), summed. (Redis before 7.2 counts
 * an ERR for each CLIENT SETINFO that ioredis sends when it connects: those are not the service's commands.)
 */
async function errorstats(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of cluster.nodes) {
    for (const [, error, count] of String(await node.info('errorstats')).matchAll(/^errorstat_(\w+):count=(\d+)/gm)) {
      counts[error!] = (counts[error!] ?? 0) + Number(count);
    }
  }
  return counts;
}

describe('the service on a 3-master Redis Cluster', () => {
  it('runs the whole cache and limiter surface with no CROSSSLOT error, exactly as on one server', async () => {
    await Promise.all(cluster.nodes.map((node) => node.config('RESETSTAT')));
    const onCluster = await runSurface(cluster.topology);
    const stats = await errorstats();
    const onSingle = await runSurface(single.topology);

    expect(stats['CROSSSLOT'] ?? 0).toBe(0);
    expect(onCluster.outcomes).toEqual(onSingle.outcomes);
    expect({ hits: onCluster.hits, misses: onCluster.misses }).toEqual({ hits: onSingle.hits, misses: onSingle.misses });
    // What the surface does, on both: checked here so that equal cannot mean equally broken.
    const byStep = (step: string) => onSingle.outcomes.filter((outcome) => outcome.step === step);
    const calls = (step: string) => byStep(step).reduce((sum, outcome) => sum + outcome.upstreamCalls, 0);
    expect(byStep('cold read')).toEqual([{ step: 'cold read', answer: { image: { id: DOC } }, upstreamCalls: 1 }]);
    expect(byStep('warm read on the other replica')[0]?.upstreamCalls).toBe(0);
    expect([calls('cold list'), calls('warm list on the other replica')]).toEqual([3, 0]);
    expect(byStep('not found, cached')).toEqual([{ step: 'not found, cached', answer: { image: null }, upstreamCalls: 0 }]);
    // One allowance (10 + 2 of burst) for two replicas.
    expect([calls('allowance'), byStep('allowance').filter((outcome) => JSON.stringify(outcome.answer) === '["RATE_LIMITED"]').length]).toEqual([12, 2]);
    expect(byStep('401 remembered on the other replica')).toEqual([{ step: '401 remembered on the other replica', answer: ['UNAUTHENTICATED'], upstreamCalls: 0 }]);
    expect(byStep('403 remembered in the project on the other replica')).toEqual([{ step: '403 remembered in the project on the other replica', answer: ['FORBIDDEN'], upstreamCalls: 0 }]);
    // carol's and dave's refusals count against 127.0.0.1 too: two more junk tokens are sent, the rest are not.
    expect(byStep('refusals per address').map((outcome) => [outcome.answer, outcome.upstreamCalls])).toEqual([
      [['UNAUTHENTICATED'], 1],
      [['UNAUTHENTICATED'], 1],
      [['RATE_LIMITED'], 0],
      [['RATE_LIMITED'], 0],
    ]);
    expect(byStep('stale when the upstream is gone')).toEqual([{ step: 'stale when the upstream is gone', answer: { image: { id: DOC } }, upstreamCalls: 0 }]);

    // The keys did spread over the three masters.
    const keysPerNode = await Promise.all(cluster.nodes.map((node) => node.dbsize()));
    for (const keys of keysPerNode) expect(keys).toBeGreaterThan(0);
    console.log(
      `Redis Cluster (3 masters): ${onCluster.outcomes.length} requests, hit rate ${rate(onCluster)} (one server: ${rate(onSingle)}), ` +
        `keys per node ${keysPerNode.join('/')}, errors counted by the nodes: ${JSON.stringify(stats)}`,
    );
  });

  it('would see a cross-slot command: the count is not blind', async () => {
    await Promise.all(cluster.nodes.map((node) => node.config('RESETSTAT')));
    // Two keys of different slots (slots 12832 and 579) in one MGET, as the cache's lookup once sent: the
    // node that holds the first refuses it.
    const client = new Cluster(cluster.topology.kind === 'cluster' ? [...cluster.topology.nodes] : []);
    try {
      await expect(client.mget('ecs-image-graph:a', 'ecs-image-graph:b')).rejects.toThrow(/^CROSSSLOT/);
    } finally {
      client.disconnect();
    }
    expect((await errorstats())['CROSSSLOT']).toBe(1);
  });

  // Last: it kills a node. A master with no replica takes its slots along; once the others notice
  // (cluster-node-timeout), they refuse every command (CLUSTERDOWN) until it is back.
  // Event-bound, but long on a loaded machine: the cluster notices in 2 s, the service probes a skipped Redis every 5 s.
  it('a master SIGKILLed under load: no operation fails, Redis is skipped while the cluster is down, and shared again once the node is back', { timeout: 60_000 }, async () => {
    const sandbox = await startSandbox({ anyImage: true });
    const options = { cache: { ttlMs: 600_000, keySecret: SECRET }, redis: { topology: cluster.topology }, callers: { rate: PROBE_RATE } };
    const replicas: TestApp[] = await Promise.all([appFor(sandbox.url, options), appFor(sandbox.url, options)]);
    const probe = new SharedStateProbe([replicas[0]!, replicas[1]!], sandbox);
    try {
      probe.start();
      await Promise.all([probe.hammerSpent(), probe.sharedFor(3, 0)]);
      const killedAt = performance.now();
      await cluster.kill(0);
      await cluster.state('fail');
      // The cluster refuses everything now: every round finds nothing shared, and answers all the same.
      const down = await probe.roundsSince(3, performance.now());
      expect(down.map((round) => [round.cacheShared, round.limitShared])).toEqual(Array(3).fill([false, false]));
      const restartedAt = performance.now();
      await cluster.restart(0);
      await cluster.state('ok');
      await probe.sharedFor(3, performance.now());
      await probe.stop();
      expect(probe.failures).toEqual([]);
      const { cacheSeconds, limitSeconds } = probe.sharedAgainAfter(restartedAt);
      console.log(
        `Redis Cluster, a master SIGKILLed: ${probe.operations} operations, ${probe.failures.length} failed; down for ${((restartedAt - killedAt) / 1000).toFixed(2)} s ` +
          `(cluster-node-timeout 2 s); cache shared again ${cacheSeconds.toFixed(2)} s after the node was started again, allowances after ${limitSeconds.toFixed(2)} s; ` +
          `the hammer got ${probe.hammerCalls() - ALLOWANCE} upstream calls over its allowance of ${ALLOWANCE}`,
      );
    } finally {
      await probe.stop();
      await Promise.all(replicas.map((replica) => replica.close()));
      await sandbox.close();
    }
  });
});


const rate = ({ hits, misses }: { hits: number; misses: number }) => `${hits}/${hits + misses} = ${((100 * hits) / (hits + misses)).toFixed(1)}%`;
