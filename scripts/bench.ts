/**
 * The service side by side with the peers a team would otherwise use, in one run, on this machine:
 * - `service`: this service, compiled, with its production settings (`NODE_ENV=production`, metrics, limits,
 *   logging, tracing hooks, retries, breaker, rate limits), the cache off for the cold scenarios;
 * - `minimal-yoga`: graphql-yoga with the same fields, a per-request DataLoader and an undici Pool, no plugins;
 * - `yoga-jit`: the same with compiled execution (@envelop/graphql-jit), to show what compilation alone gives;
 * - `apollo`: Apollo Server 5 with a RESTDataSource and a per-request DataLoader;
 * - `bare-proxy`: no GraphQL, one image per HTTP request.
 * Each runs in a process of its own (bench/service.ts, bench/references/), against the sandbox as upstream, in
 * another. Rounds interleave the targets; the machine is shared and noisy, so the ratios within one run are the
 * figures that count, and beside throughput each round reads each target's CPU time per operation (from /proc),
 * which the machine's other load moves far less. Prints each round, the medians and the ratios; asserts nothing.
 * `--write` keeps the figures in bench/results.json (bench/ablation.json for `--ablation`) and writes them into
 * docs/performance.md. `--help` lists the flags.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { FEATURES } from '../src/config/bench-switches.js';
import { ablation } from './bench/ablation.js';
import { LOADS, type Load } from './bench/loads.js';
import { interleave, median, ratio, ratiosOf, run, targetResult, type Rounds, type Run } from './bench/measure.js';
import { memoryOf, reference, ROOT, sandbox, service, stop, upstreamQuiet, type Program } from './bench/processes.js';
import { realistic } from './bench/realistic.js';
import { ABLATION_FILE, RESULTS_FILE, type BenchResults, type ScenarioResult } from './bench-results.js';
import { writeGeneratedTables } from './doc-tables.js';

const SCENARIOS = ['one', 'aliases', 'list', 'proxy', 'warm', 'realistic', 'latency', 'memory'] as const;
const TARGETS = ['service', 'minimal-yoga', 'yoga-jit', 'apollo', 'bare-proxy'] as const;
const HELP = `npm run bench [-- options]

The service next to minimal Yoga, Yoga + graphql-jit, Apollo Server 5 and a bare proxy, in interleaved rounds on
this machine. A default run takes about 13 minutes; a quick look at the headline ratios, about 2 minutes:
  npm run bench -- --rounds 1 --warmup 1 --duration 3 --only one,aliases,realistic

  --rounds N            measured rounds per target and scenario (3)
  --duration S          seconds of each round (5)
  --warmup S            seconds of load per target before the rounds (with --ablation: before each run); 0: none (3)
  --only a,b            scenarios to run (all but the ablation by default): ${SCENARIOS.join(', ')}
  --targets a,b         peers to run beside the service (all by default): ${TARGETS.filter((name) => name !== 'service').join(', ')}
  --realistic           the realistic workload only (the same as --only realistic)
  --ablation            instead of the scenarios: the service with each feature off in turn, each run in a pair
                        with the service whole, for 1 and 50 images per operation, and minimal Yoga and Apollo
                        alike, each run after a warm-up of its own (about 25 minutes by default; with
                        --duration 2 --warmup 1, about 11)
  --features a,b        with --ablation, only these features (all by default): ${Object.keys(FEATURES).join(', ')}
  --memory-seconds S    seconds of load of the memory scenario (60)
  --no-build            use dist/ as it is (by default \`npm run build\` runs first)
  --write               keep the figures in bench/results.json (bench/ablation.json with --ablation) and write
                        them into docs/performance.md
  --help                this
`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      'memory-seconds': { type: 'string', default: '60' },
      only: { type: 'string' },
      targets: { type: 'string' },
      realistic: { type: 'boolean', default: false },
      ablation: { type: 'boolean', default: false },
      features: { type: 'string' },
      build: { type: 'boolean', default: true },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowNegative: true,
  }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** A comma-separated list of names, each one of `known`; exits with the help on any other. */
function names<T extends string>(flag: string, list: string | undefined, known: readonly T[]): T[] | undefined {
  if (list === undefined) return undefined;
  const given = list.split(',').filter(Boolean);
  const unknown = given.filter((name) => !known.includes(name as T));
  if (unknown.length > 0) {
    process.stderr.write(`--${flag}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})\n\n${HELP}`);
    process.exit(2);
  }
  return given as T[];
}
function number(flag: string, text: string, least: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < least) {
    process.stderr.write(`--${flag}: ${JSON.stringify(text)} is not a number of at least ${least}\n\n${HELP}`);
    process.exit(2);
  }
  return value;
}

const timing: Rounds = { rounds: number('rounds', values.rounds, 1), duration: number('duration', values.duration, 1), warmup: number('warmup', values.warmup, 0) };
const MEMORY_SECONDS = number('memory-seconds', values['memory-seconds'], 1);
const only = values.realistic ? ['realistic'] : names('only', values.only, SCENARIOS);
const wanted = (name: string) => only === undefined || only.includes(name);
const peers = names('targets', values.targets, TARGETS);
/** Whether target `name` runs: every one unless --targets names some; the service always does. */
const chosen = (name: string) => name === 'service' || peers === undefined || peers.includes(name as never);
const features = names('features', values.features, Object.keys(FEATURES) as Array<keyof typeof FEATURES>);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const today = () => new Date().toISOString().slice(0, 10);

if (values.build) await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT });
const upstream = await sandbox();

if (values.ablation) {
  const results = await ablation(upstream, timing, { features: features ?? (Object.keys(FEATURES) as Array<keyof typeof FEATURES>), peers: ['minimal-yoga', 'apollo'].filter(chosen) });
  await stop(upstream);
  if (values.write) {
    await writeFile(ABLATION_FILE, `${JSON.stringify({ date: today(), machine, rounds: timing.rounds, seconds: timing.duration, warmup: timing.warmup, scenarios: results }, null, 2)}\n`);
    await writeGeneratedTables(['docs/performance.md']);
    console.log('\nwrote bench/ablation.json and the ablation table of docs/performance.md');
  }
  process.exit(0);
}

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
console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; ${timing.rounds} rounds of ${timing.duration} s; service idle RSS ${idle.rssMb} MB\n`);

interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly load: Load;
  readonly connections: number;
  readonly targets: string[];
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
  const runs = await interleave(Object.fromEntries(scenario.targets.map((name) => [name, targets[name]!])), scenario.load, scenario.connections, timing);
  if (scenario.targets.includes('service')) perImage.cold.push(await callsPerImage(targets['service']!.url, scenario.load));
  results.push(summary(scenario, runs));
}

// The warm cache: one caller asking again and again for what it has already read.
if (wanted('warm')) {
  console.log('one caller, cached: 1 image per operation, 50 connections (the service with its default cache)');
  const cached = await service(upstream.url, { CACHE_TTL_SECONDS: '60' });
  const names_ = ['service', 'minimal-yoga', 'apollo'].filter(chosen);
  const runs = await interleave(Object.fromEntries(names_.map((name) => [name, name === 'service' ? cached : targets[name]!])), LOADS.warm, 50, timing);
  perImage.warm.push(await callsPerImage(cached.url, LOADS.warm));
  results.push(summary({ name: 'warm', title: 'one caller, the service cached, the peers without a cache (1 image per operation, 50 connections)' }, runs));
  await stop(cached);
}

const realisticResult = wanted('realistic')
  ? await realistic(upstream, timing, Object.fromEntries(['minimal-yoga', 'apollo'].filter(chosen).map((name) => [name, targets[name]!])))
  : undefined;

const peakUnderLoad = await memoryOf(targets['service']!.child);
for (const target of Object.values(targets)) await stop(target);

// Latency of a large operation against a slow upstream: 20 ms a call.
let latency: BenchResults['latency'];
if (wanted('latency')) {
  console.log('\n100 images against 1 image per operation, upstream latency 20 ms, one operation at a time (p50)');
  const slow = await sandbox(20);
  const rows: Array<NonNullable<BenchResults['latency']>[number]> = [];
  for (const [label, overrides] of [
    ['defaults', {}],
    ['caps raised to 100', { UPSTREAM_CONCURRENCY_PER_OPERATION: '100', UPSTREAM_MAX_CONNECTIONS: '100' }],
  ] as const) {
    const target = await service(slow.url, overrides);
    await run(target, LOADS.one, 1, 1);
    const p50s = async (load: Load) => {
      const list: number[] = [];
      for (let round = 0; round < timing.rounds; round += 1) list.push((await run(target, load, 1, timing.duration)).p50);
      return median(list);
    };
    const one = await p50s(LOADS.one);
    const hundred = await p50s(LOADS.hundred);
    rows.push({ settings: label, oneP50: one, hundredP50: hundred, ratio: ratio(hundred, one) });
    console.log(`  ${label.padEnd(20)} 1 image p50 ${one} ms, 100 images p50 ${hundred} ms: ${ratio(hundred, one)}x`);
    await stop(target);
  }
  await stop(slow);
  latency = rows;
}

// Memory: 100 connections of fresh ids for MEMORY_SECONDS, the cache off and then on (defaults).
let memory: BenchResults['memory'];
if (wanted('memory')) {
  console.log(`\nmemory: 100 connections, fresh ids, ${MEMORY_SECONDS} s`);
  const rows: Array<NonNullable<BenchResults['memory']>[number]> = [];
  for (const [label, overrides] of [
    ['cache off', {}],
    ['defaults (64 MiB cache)', { CACHE_TTL_SECONDS: '60' }],
  ] as const) {
    const target = await service(upstream.url, overrides);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = await memoryOf(target.child);
    await run(target, LOADS.one, 100, MEMORY_SECONDS);
    const after = await memoryOf(target.child);
    rows.push({ settings: label, idleMb: before.rssMb, peakMb: after.peakMb });
    console.log(`  ${label.padEnd(24)} idle ${before.rssMb} MB, peak ${after.peakMb} MB`);
    await stop(target);
  }
  memory = rows;
}
await stop(upstream);

// The most any scenario made: each counted exactly, so one extra call in any of them shows.
const most = (list: number[]) => Math.round(Math.max(0, ...list) * 100) / 100;
const upstreamCallsPerImage = { cold: most(perImage.cold), warm: most(perImage.warm) };
console.log(`\nupstream calls per image asked for (fresh ids when cold, one id when warm): ${upstreamCallsPerImage.cold.toFixed(2)} cold, ${upstreamCallsPerImage.warm.toFixed(2)} warm`);
console.log(`service RSS: idle ${idle.rssMb} MB, peak over the throughput scenarios ${peakUnderLoad.peakMb} MB`);
console.log('\nmedians (± half the spread of the rounds), and the service against each peer (throughput; CPU per operation, the peer\'s over the service\'s):');
for (const scenario of [...results, ...(realisticResult ? [realisticResult] : [])]) {
  const line = Object.entries(scenario.medians)
    .map(([name, each]) => `${name} ${each.rps}/s (±${Math.round(each.rpsSpread / 2)}%) p50 ${each.p50} ms p99 ${each.p99} ms cpu ${each.cpuUsPerOp} µs/op (±${Math.round(each.cpuSpread / 2)}%)`)
    .join(', ');
  const ratios = Object.entries(scenario.ratios)
    .map(([name, value]) => `${value}x ${name} (cpu ${scenario.cpuRatios[name]}x)`)
    .join(', ');
  console.log(`  ${scenario.title}: ${line}${ratios ? `; service ${ratios}` : ''}`);
}

if (values.write) {
  const written: BenchResults = {
    date: today(),
    machine,
    rounds: timing.rounds,
    seconds: timing.duration,
    scenarios: results,
    realistic: realisticResult,
    upstreamCallsPerImage,
    latency,
    memory,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(written, null, 2)}\n`);
  await writeGeneratedTables(['docs/performance.md']);
  console.log('\nwrote bench/results.json and the figures of docs/performance.md');
}

/**
 * Upstream calls per image asked for, counted exactly: `operations` of `load` sent 20 at a time and all
 * answered (a timed run cuts off operations in flight, whose calls may or may not have been made).
 */
async function callsPerImage(url: string, load: Load, operations = 200): Promise<number> {
  const before = await upstreamQuiet(upstream.url);
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
  return ((await upstreamQuiet(upstream.url)) - before) / images;
}

function summary(scenario: Pick<Scenario, 'name' | 'title'>, runs: Record<string, Run[]>): ScenarioResult {
  const medians = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, targetResult(list)]));
  return { name: scenario.name, title: scenario.title, medians, ...ratiosOf(medians) };
}
