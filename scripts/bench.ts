/**
 * The service side by side with the peers a team would otherwise use, in one run, on this machine:
 * - `service`: this service, compiled, with its production settings (`NODE_ENV=production`, metrics, limits,
 *   logging, tracing hooks, retries, breaker, rate limits), the cache off for the cold scenarios;
 * - `minimal-yoga`: graphql-yoga with the same fields, a per-request DataLoader and an undici Pool, no plugins;
 * - `yoga-jit`: the same with compiled execution (@envelop/graphql-jit), to show what compilation alone gives;
 * - `apollo`: Apollo Server 5 with a RESTDataSource and a per-request DataLoader;
 * - `bare-proxy`: no GraphQL, one image per HTTP request.
 * Each runs in a process of its own (bench/references/), against the sandbox as upstream, in another.
 * Every request asks for fresh image ids, so nothing is reused across requests. Rounds interleave the
 * targets; the machine is shared and noisy, so the ratios within one run are the figures that count.
 * Prints each round, the medians and the ratios; asserts nothing. `--write` keeps the figures in
 * bench/results.json and writes them into docs/performance.md.
 * Usage: npm run bench [-- --rounds 3 --duration 5 --warmup 3 --memory-seconds 60 --only one,aliases --targets service,apollo --no-build --write]
 * `--targets` runs only those targets (the service always runs), and `--no-build` uses dist/ as it is: the
 * test that checks the benchmark still runs uses both, to stay cheap.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import autocannon from 'autocannon';
import { SAMPLE_PROJECT_ID } from '../src/sandbox/samples.js';
import { PROGRAMS } from '../test/helpers/service.js';
import { RESULTS_FILE, type BenchResults, type ScenarioResult } from './bench-results.js';
import { writeGeneratedTables } from './doc-tables.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    'memory-seconds': { type: 'string', default: '60' },
    only: { type: 'string' },
    targets: { type: 'string' },
    build: { type: 'boolean', default: true },
    write: { type: 'boolean', default: false },
  },
  allowNegative: true,
});
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const MEMORY_SECONDS = Number(values['memory-seconds']);
const ONLY = values.only?.split(',');
const wanted = (name: string) => ONLY === undefined || ONLY.includes(name);
const TARGETS = values.targets?.split(',');
/** Whether target `name` runs: every one unless --targets names some; the service always does. */
const chosen = (name: string) => name === 'service' || TARGETS === undefined || TARGETS.includes(name);

// ---- processes ----------------------------------------------------------------------------------------------

interface Program {
  readonly url: string;
  readonly child: ChildProcess;
}
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Runs `args` with node in a process of its own, and resolves with the URL it announces. */
async function program(args: string[], env: Record<string, string>, announces: RegExp): Promise<Program> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = announces.exec(output);
      if (!match?.[1]) return;
      child.stdout!.off('data', onData);
      output = '';
      resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  child.stdout!.resume(); // the service's log lines, one per operation, as in production: read and dropped
  return { url, child };
}

async function stop(target: Program): Promise<void> {
  target.child.kill('SIGTERM');
  await new Promise((resolve) => target.child.once('exit', resolve));
  running.delete(target.child);
}

const sandbox = (latencyMs = 0) =>
  program(['--import', 'tsx', 'src/sandbox/main.ts'], { PORT: '0', SANDBOX_ANY_IMAGE: 'true', SANDBOX_LATENCY_MS: String(latencyMs) }, /listening at (\S+?)"/);

/** This service as the Dockerfile runs it, with its production defaults but for `overrides`. */
const service = (upstream: string, overrides: Record<string, string> = {}) =>
  program(
    PROGRAMS.service.command.slice(1),
    {
      NODE_ENV: 'production',
      PORT: '0',
      ECS_ENDPOINT: upstream,
      CACHE_TTL_SECONDS: '0',
      // 50 images by alias in one operation: past the default of 20 aliases.
      MAX_ALIASES: '60',
      ...overrides,
    },
    /GraphQL endpoint ready at (\S+?)"/,
  );

const reference = (name: string, upstream: string, env: Record<string, string> = {}) =>
  program(['--import', 'tsx', `bench/references/${name}.ts`], { UPSTREAM: upstream, PORT: '0', NODE_ENV: 'production', ...env }, /reference ready at (\S+)/);

/** A process's resident memory now and at its peak, in MB, from /proc. */
async function memoryOf(child: ChildProcess): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

async function upstreamRequests(upstream: string): Promise<number> {
  const response = await fetch(new URL('/_sandbox/stats', upstream));
  return ((await response.json()) as { metadataRequests: number }).metadataRequests;
}

// ---- what is asked --------------------------------------------------------------------------------------------

const FIELDS = 'id osType osBit platform metadata { key value }';
const P = SAMPLE_PROJECT_ID;
const aliases = (count: number) => Array.from({ length: count }, (_, n) => `$i${n}: ID!`).join(', ');

interface Load {
  /** The request to send, built afresh each time; `images` counts the image ids it asks for. */
  next(): { method: 'GET' | 'POST'; path?: string; body?: string; headers: Record<string, string>; images: number };
}

let tokenCount = 0;
/** Many callers, each asking now and then, as production traffic does: a token of 10,000. */
const token = () => `bench-caller-${(tokenCount += 1) % 10_000}`;
const graphql = (query: string, variables: () => Record<string, unknown>, images: number, caller: () => string = token): Load => ({
  next: () => ({ method: 'POST', body: JSON.stringify({ query, variables: variables() }), headers: { 'content-type': 'application/json', 'x-auth-token': caller() }, images }),
});

const LOADS = {
  one: graphql(`query One($p: ID!, $id: ID!) { image(projectId: $p, id: $id) { ${FIELDS} } }`, () => ({ p: P, id: randomUUID() }), 1),
  aliases: graphql(
    `query Fifty($p: ID!, ${aliases(50)}) { ${Array.from({ length: 50 }, (_, n) => `i${n}: image(projectId: $p, id: $i${n}) { ${FIELDS} }`).join(' ')} }`,
    () => Object.fromEntries([['p', P], ...Array.from({ length: 50 }, (_, n) => [`i${n}`, randomUUID()])]),
    50,
  ),
  list: graphql(`query List($p: ID!, $ids: [ID!]!) { images(projectId: $p, ids: $ids) { ${FIELDS} } }`, () => ({ p: P, ids: Array.from({ length: 50 }, () => randomUUID()) }), 50),
  warm: graphql(`query Warm($p: ID!, $id: ID!) { image(projectId: $p, id: $id) { ${FIELDS} } }`, () => ({ p: P, id: '17a1890b-0fa4-485e-8505-14e294017988' }), 1, () => 'bench-one-caller'),
  proxy: { next: () => ({ method: 'GET' as const, path: `/v2.1/${P}/images/${randomUUID()}/metadata`, headers: { 'x-auth-token': token() }, images: 1 }) },
  hundred: graphql(`query Hundred($p: ID!, $ids: [ID!]!) { images(projectId: $p, ids: $ids) { ${FIELDS} } }`, () => ({ p: P, ids: Array.from({ length: 100 }, () => randomUUID()) }), 100),
} satisfies Record<string, Load>;

interface Run {
  readonly rps: number;
  readonly p50: number;
  readonly failed: number;
}

/** `load` against `url` for `seconds` with `connections`. */
async function run(url: string, load: Load, connections: number, seconds: number): Promise<Run> {
  const first = load.next();
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: first.method,
    requests: [
      {
        setupRequest: (request) => {
          const next = load.next();
          return { ...request, method: next.method, headers: next.headers, ...(next.path !== undefined && { path: next.path }), ...(next.body !== undefined && { body: next.body }) };
        },
      },
    ],
  });
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, failed: result.non2xx + result.errors };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

// ---- the run -------------------------------------------------------------------------------------------------

if (values.build) await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT });
const upstream = await sandbox();
const starts: Record<string, () => Promise<Program>> = {
  service: () => service(upstream.url),
  'minimal-yoga': () => reference('minimal-yoga', upstream.url),
  'yoga-jit': () => reference('minimal-yoga', upstream.url, { GRAPHQL_JIT: 'true' }),
  apollo: () => reference('apollo-server', upstream.url),
  'bare-proxy': () => reference('bare-proxy', upstream.url),
};
const targets: Record<string, Program> = {};
for (const [name, start] of Object.entries(starts)) if (chosen(name)) targets[name] = await start();
const idle = await memoryOf(targets['service']!.child);
console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; ${ROUNDS} rounds of ${DURATION} s; service idle RSS ${idle.rssMb} MB\n`);

interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly load: Load;
  readonly connections: number;
  readonly targets: string[];
  /** Prepared once before the rounds (the warm case fills the cache). */
  readonly prepare?: () => Promise<void>;
}

const scenarios: Scenario[] = [
  { name: 'one', title: '1 image per operation, 50 connections', load: LOADS.one, connections: 50, targets: ['service', 'minimal-yoga', 'yoga-jit', 'apollo'] },
  { name: 'aliases', title: '50 images per operation (aliases), 20 connections', load: LOADS.aliases, connections: 20, targets: ['service', 'minimal-yoga', 'yoga-jit', 'apollo'] },
  { name: 'list', title: 'an images list of 50, 20 connections', load: LOADS.list, connections: 20, targets: ['service', 'minimal-yoga', 'yoga-jit', 'apollo'] },
  { name: 'proxy', title: '1 image per HTTP request, no GraphQL, 50 connections', load: LOADS.proxy, connections: 50, targets: ['bare-proxy'] },
];

const results: ScenarioResult[] = [];
const perImage: { cold: number[]; warm: number[] } = { cold: [], warm: [] };

for (const scenario of scenarios.filter((each) => wanted(each.name)).map((each) => ({ ...each, targets: each.targets.filter(chosen) }))) {
  if (scenario.targets.length === 0) continue;
  console.log(scenario.title);
  const runs: Record<string, Run[]> = Object.fromEntries(scenario.targets.map((name) => [name, []]));
  // Warm-up: each target runs the load until its code is optimised (and the service's operations compiled).
  if (WARMUP > 0) for (const name of scenario.targets) await run(targetUrl(name), scenario.load, scenario.connections, WARMUP);
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of scenario.targets) {
      const result = await run(targetUrl(name), scenario.load, scenario.connections, DURATION);
      runs[name]!.push(result);
      console.log(`  round ${round}  ${name.padEnd(13)} ${String(result.rps).padStart(6)} /s  p50 ${String(result.p50).padStart(4)} ms${result.failed ? `  ${result.failed} failed` : ''}`);
    }
  }
  if (scenario.targets.includes('service')) perImage.cold.push(await callsPerImage(targets['service']!.url, scenario.load));
  results.push(summarise(scenario, runs));
}

// The warm cache: one caller asking again and again for what it has already read.
let warm: ScenarioResult | undefined;
if (wanted('warm')) {
  console.log('one caller, cached: 1 image per operation, 50 connections (the service with its default cache)');
  const cached = await service(upstream.url, { CACHE_TTL_SECONDS: '60' });
  const names = ['service', 'minimal-yoga', 'apollo'].filter(chosen);
  const url = (name: string) => (name === 'service' ? cached.url : targetUrl(name));
  const runs: Record<string, Run[]> = Object.fromEntries(names.map((name) => [name, []]));
  if (WARMUP > 0) for (const name of names) await run(url(name), LOADS.warm, 50, WARMUP);
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of names) {
      const result = await run(url(name), LOADS.warm, 50, DURATION);
      runs[name]!.push(result);
      console.log(`  round ${round}  ${name.padEnd(13)} ${String(result.rps).padStart(6)} /s  p50 ${String(result.p50).padStart(4)} ms`);
    }
  }
  perImage.warm.push(await callsPerImage(cached.url, LOADS.warm));
  warm = summarise({ name: 'warm', title: 'one caller, the service cached, the peers without a cache (1 image per operation, 50 connections)', load: LOADS.warm, connections: 50, targets: names }, runs);
  results.push(warm);
  await stop(cached);
}
const peakUnderLoad = await memoryOf(targets['service']!.child);
for (const target of Object.values(targets)) await stop(target);

// Latency of a large operation against a slow upstream: 20 ms a call.
let latency: Array<NonNullable<BenchResults['latency']>[number]> | undefined;
if (wanted('latency')) {
  console.log('\n100 images against 1 image per operation, upstream latency 20 ms, one operation at a time (p50)');
  const slow = await sandbox(20);
  latency = [];
  for (const [label, overrides] of [
    ['defaults', {}],
    ['caps raised to 100', { UPSTREAM_CONCURRENCY_PER_OPERATION: '100', UPSTREAM_MAX_CONNECTIONS: '100' }],
  ] as const) {
    const target = await service(slow.url, overrides);
    await run(target.url, LOADS.one, 1, 1);
    const one = median(await rounds(() => run(target.url, LOADS.one, 1, DURATION)));
    const hundred = median(await rounds(() => run(target.url, LOADS.hundred, 1, DURATION)));
    latency.push({ settings: label, oneP50: one, hundredP50: hundred, ratio: ratio(hundred, one) });
    console.log(`  ${label.padEnd(20)} 1 image p50 ${one} ms, 100 images p50 ${hundred} ms: ${ratio(hundred, one)}x`);
    await stop(target);
  }
  await stop(slow);
}

// Memory: 100 connections of fresh ids for MEMORY_SECONDS, the cache off and then on (defaults).
let memory: Array<NonNullable<BenchResults['memory']>[number]> | undefined;
if (wanted('memory')) {
  console.log(`\nmemory: 100 connections, fresh ids, ${MEMORY_SECONDS} s`);
  memory = [];
  for (const [label, overrides] of [
    ['cache off', {}],
    ['defaults (64 MiB cache)', { CACHE_TTL_SECONDS: '60' }],
  ] as const) {
    const target = await service(upstream.url, overrides);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = await memoryOf(target.child);
    await run(target.url, LOADS.one, 100, MEMORY_SECONDS);
    const after = await memoryOf(target.child);
    memory.push({ settings: label, idleMb: before.rssMb, peakMb: after.peakMb });
    console.log(`  ${label.padEnd(24)} idle ${before.rssMb} MB, peak ${after.peakMb} MB`);
    await stop(target);
  }
}
await stop(upstream);

// The most any scenario made: each counted exactly, so one extra call in any of them shows.
const most = (list: number[]) => Math.round(Math.max(0, ...list) * 100) / 100;
const upstreamCallsPerImage = { cold: most(perImage.cold), warm: most(perImage.warm) };
console.log(`\nupstream calls per image asked for (fresh ids when cold, one id when warm): ${upstreamCallsPerImage.cold.toFixed(2)} cold, ${upstreamCallsPerImage.warm.toFixed(2)} warm`);
console.log(`service RSS: idle ${idle.rssMb} MB, peak over the throughput scenarios ${peakUnderLoad.peakMb} MB`);
console.log('\nmedians, and the service against each peer (throughput ratio):');
for (const scenario of results) {
  const line = Object.entries(scenario.medians)
    .map(([name, { rps, p50 }]) => `${name} ${rps}/s p50 ${p50} ms`)
    .join(', ');
  const ratios = Object.entries(scenario.ratios)
    .map(([name, value]) => `${value}x ${name}`)
    .join(', ');
  console.log(`  ${scenario.title}: ${line}${ratios ? `; service ${ratios}` : ''}`);
}

if (values.write) {
  const results_: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    rounds: ROUNDS,
    seconds: DURATION,
    scenarios: results,
    upstreamCallsPerImage,
    latency,
    memory,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results_, null, 2)}\n`);
  await writeGeneratedTables(['docs/performance.md']);
  console.log('\nwrote bench/results.json and the figures of docs/performance.md');
}

function targetUrl(name: string): string {
  return targets[name]!.url;
}

/**
 * Upstream calls per image asked for, counted exactly: `operations` of `load` sent 20 at a time and all
 * answered (a timed run cuts off operations in flight, whose calls may or may not have been made).
 */
async function callsPerImage(url: string, load: Load, operations = 200): Promise<number> {
  const before = await upstreamQuiet();
  let images = 0;
  for (let sent = 0; sent < operations; sent += 20) {
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const request = load.next();
        const response = await fetch(new URL(request.path ?? '', url), { method: request.method, headers: request.headers, body: request.body ?? null });
        const body = (await response.json()) as { errors?: unknown };
        if (!response.ok || body.errors) throw new Error(`counting upstream calls: ${response.status} ${JSON.stringify(body)}`);
        images += request.images;
      }),
    );
  }
  return ((await upstreamRequests(upstream.url)) - before) / images;
}

/**
 * The upstream's request count once it has stopped moving for half a second: the timed run before cut off
 * operations in flight (of every target: they share the upstream), whose calls may still be arriving.
 */
async function upstreamQuiet(): Promise<number> {
  let last = await upstreamRequests(upstream.url);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await upstreamRequests(upstream.url);
    if (now === last) return now;
    last = now;
  }
}

async function rounds(measure: () => Promise<Run>): Promise<number[]> {
  const p50s: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) p50s.push((await measure()).p50);
  return p50s;
}

function summarise(scenario: Scenario, runs: Record<string, Run[]>): ScenarioResult {
  const medians = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, { rps: median(list.map((each) => each.rps)), p50: median(list.map((each) => each.p50)) }]));
  const service = medians['service'];
  const ratios = service ? Object.fromEntries(Object.entries(medians).flatMap(([name, { rps }]) => (name === 'service' ? [] : [[name, ratio(service.rps, rps)]]))) : {};
  return { name: scenario.name, title: scenario.title, medians, ratios };
}
