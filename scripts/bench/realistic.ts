/**
 * The workload the service's design exists for (loads.ts, realisticLoad): 100 callers, 1 to 20 images per
 * operation drawn Zipf-like over 10,000 images, the service's cache on with its defaults, in passthrough (a cache
 * per caller's credential) and in service mode (one credential, one cache). The references have no cache across
 * requests: each asks the upstream for every distinct image of every operation.
 * Then what one image costs the service in CPU, served from the cache and fetched.
 */
import { SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import type { RealisticResult } from '../bench-results.js';
import { perImageLoad, REALISTIC, realisticLoad, warmUp, type Load } from './loads.js';
import { interleave, median, ratiosOf, targetResult, type Rounds, type Run } from './measure.js';
import { cacheLookups, service, stop, upstreamQuiet, type Program } from './processes.js';

const CONNECTIONS = 20;
/** Lifts an allowance without skipping the limiter: it still counts every call, and never refuses one. */
const NO_BINDING_RATE = { UPSTREAM_CALLS_PER_CALLER_PER_SECOND: '1000000' };

export async function realistic(upstream: Program, timing: Rounds, peers: Record<string, Program>): Promise<RealisticResult> {
  const title = `realistic: ${REALISTIC.callers} callers, ${REALISTIC.minPerOperation}-${REALISTIC.maxPerOperation} images per operation drawn Zipf-like over ${REALISTIC.images.toLocaleString('en')} images, ${CONNECTIONS} connections`;
  console.log(`${title}; the service's cache on (its defaults), the peers without one`);
  const targets: Record<string, Program> = {
    // The default TTL, stated: the cold scenarios' service has the cache off.
    service: await service(upstream.url, { CACHE_TTL_SECONDS: '60' }),
    // Every caller acts with the service's key, and (network callers) spends one allowance, lifted here.
    'service-mode': await service(upstream.url, {
      CACHE_TTL_SECONDS: '60',
      AUTH_MODE: 'service',
      SERVICE_CALLER_AUTH: 'network',
      HUAWEICLOUD_SDK_AK: 'BENCHACCESSKEY',
      HUAWEICLOUD_SDK_SK: 'bench-secret-key-bench-secret-key',
      ALLOWED_PROJECT_IDS: SAMPLE_PROJECT_ID,
      ...NO_BINDING_RATE,
    }),
    ...peers,
  };
  // Each target is asked the same sequence of operations.
  const loads = new Map<string, Load>();
  const loadOf = (name: string) => loads.get(name) ?? loads.set(name, realisticLoad()).get(name)!;
  const counts: Record<string, { calls: number; ops: number; hits: number; misses: number }> = Object.fromEntries(Object.keys(targets).map((name) => [name, { calls: 0, ops: 0, hits: 0, misses: 0 }]));
  const callsPerOp: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  const isService = (name: string) => name === 'service' || name === 'service-mode';
  const runs = await interleave(targets, loadOf, CONNECTIONS, timing, {
    before: async (name) => ({ calls: await upstreamQuiet(upstream.url), lookups: isService(name) ? await cacheLookups(targets[name]!.url) : undefined }),
    after: async (name, before, result: Run) => {
      const calls = (await upstreamQuiet(upstream.url)) - before.calls;
      const count = counts[name]!;
      count.calls += calls;
      count.ops += result.ops;
      callsPerOp[name]!.push(calls / result.ops);
      let hitRate = '';
      if (before.lookups) {
        const after = await cacheLookups(targets[name]!.url);
        const hits = after.hits - before.lookups.hits;
        const misses = after.misses - before.lookups.misses;
        count.hits += hits;
        count.misses += misses;
        hitRate = `, cache hits ${Math.round((hits / (hits + misses)) * 100)}%`;
      }
      return `upstream ${(calls / result.ops).toFixed(2)} calls/op${hitRate}`;
    },
  });
  await stop(targets['service']!);
  await stop(targets['service-mode']!);

  const medians = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, targetResult(list)]));
  const upstreamCalls = Object.fromEntries(
    Object.entries(counts).map(([name, count]) => [
      name,
      { callsPerOp: Math.round(median(callsPerOp[name]!) * 100) / 100, hitRate: isService(name) ? Math.round((count.hits / (count.hits + count.misses)) * 1000) / 1000 : undefined },
    ]),
  );
  const perImage = await perImageCost(upstream, timing);
  return { name: 'realistic', title, medians, ...ratiosOf(medians), upstream: upstreamCalls, perImage };
}

/**
 * The service's CPU per image, served from the cache and fetched: one caller, operations of 1 and of 20 images,
 * ids it read before (every one a hit) or fresh ones (every one a call); the difference of 20 and 1 over 19 is
 * what one more image costs, apart from what every operation costs.
 */
async function perImageCost(upstream: Program, timing: Rounds): Promise<RealisticResult['perImage']> {
  const POOL = 2000;
  console.log('\nCPU per image, one caller: 1 and 20 images per operation, all served from the cache or all fetched');
  // The TTL outlasts the rounds, so that the pool stays cached; the one caller's allowance is lifted.
  const target = await service(upstream.url, { CACHE_TTL_SECONDS: '3600', ...NO_BINDING_RATE });
  for (const request of warmUp(POOL)) {
    const response = await fetch(target.url, { method: request.method, headers: request.headers, body: request.body ?? null });
    if (!response.ok || ((await response.json()) as { errors?: unknown }).errors) throw new Error('warming the cache failed');
  }
  const loads: Record<string, Load> = { 'cached-1': perImageLoad(1, { pool: POOL }), 'cached-20': perImageLoad(20, { pool: POOL }), 'fresh-1': perImageLoad(1, 'fresh'), 'fresh-20': perImageLoad(20, 'fresh') };
  const runs = await interleave(
    Object.fromEntries(Object.keys(loads).map((name) => [name, target])),
    (name) => loads[name]!,
    CONNECTIONS,
    timing,
  );
  await stop(target);
  const cpu = (name: string) => targetResult(runs[name]!).cpuUsPerOp;
  const cachedUs = Math.round((cpu('cached-20') - cpu('cached-1')) / 19);
  const fetchedUs = Math.round((cpu('fresh-20') - cpu('fresh-1')) / 19);
  const perOperationUs = Math.round(cpu('cached-1') - cachedUs);
  console.log(`  per image: ${cachedUs} µs from the cache, ${fetchedUs} µs fetched; about ${perOperationUs} µs per operation besides`);
  return { cachedUs, fetchedUs, perOperationUs };
}
