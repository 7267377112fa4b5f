/** One timed run of a load against a target, and interleaved rounds of several targets. */
import autocannon from 'autocannon';
import type { ScenarioResult, TargetResult } from '../bench-results.js';
import type { Load } from './loads.js';
import { cpuMicros, type Program } from './processes.js';

export interface Run {
  /** Operations answered per second, failed ones included. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Operations answered in the run. */
  readonly ops: number;
  /** Answers that were not a success: a status other than 2xx, a socket error, or a GraphQL error in the body. */
  readonly failed: number;
  /** The target process's CPU time (all its threads) per operation answered, in microseconds. */
  readonly cpuUsPerOp: number;
}

/** `load` against `target` for `seconds` with `connections`. */
export async function run(target: Program, load: Load, connections: number, seconds: number): Promise<Run> {
  const first = load.next();
  let graphqlErrors = 0;
  const cpuBefore = await cpuMicros(target.child);
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    method: first.method,
    requests: [
      {
        setupRequest: (request) => {
          const next = load.next();
          return { ...request, method: next.method, headers: next.headers, ...(next.path !== undefined && { path: next.path }), ...(next.body !== undefined && { body: next.body }) };
        },
        // A GraphQL error is a failure though its status is 200 (an image that failed, a refused operation).
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && body.includes('"errors":')) graphqlErrors += 1;
        },
      },
    ],
  });
  const cpu = (await cpuMicros(target.child)) - cpuBefore;
  const ops = result.requests.total;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ops,
    failed: result.non2xx + result.errors + graphqlErrors,
    cpuUsPerOp: ops === 0 ? 0 : Math.round(cpu / ops),
  };
}

/** How one target's rounds went: medians, and the spread (lowest, highest) of throughput and CPU per operation. */
export interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerOp: number;
  readonly rpsRange: readonly [number, number];
  readonly cpuRange: readonly [number, number];
  readonly failed: number;
}

/** The middle value; of an even count, the mean of the two middle ones (of two rounds, not the higher). */
export function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round(((sorted[middle - 1]! + sorted[middle]!) / 2) * 100) / 100;
}
export const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100) / 100);

export function summarise(runs: readonly Run[]): Summary {
  const of = (pick: (run: Run) => number) => runs.map(pick);
  const range = (numbers: number[]) => [Math.min(...numbers), Math.max(...numbers)] as const;
  return {
    rps: median(of((each) => each.rps)),
    p50: median(of((each) => each.p50)),
    p99: median(of((each) => each.p99)),
    cpuUsPerOp: median(of((each) => each.cpuUsPerOp)),
    rpsRange: range(of((each) => each.rps)),
    cpuRange: range(of((each) => each.cpuUsPerOp)),
    failed: of((each) => each.failed).reduce((sum, each) => sum + each, 0),
  };
}

/** The spread of a range around its median, as a percentage: (highest - lowest) / median. */
export const spread = (range: readonly [number, number], middle: number) => (middle === 0 ? 0 : Math.round(((range[1] - range[0]) / middle) * 100));

export function roundLine(round: number, name: string, result: Run): string {
  return `  round ${round}  ${name.padEnd(13)} ${String(result.rps).padStart(6)} /s  p50 ${String(result.p50).padStart(4)} ms  p99 ${String(result.p99).padStart(4)} ms  cpu ${String(result.cpuUsPerOp).padStart(6)} µs/op${result.failed ? `  ${result.failed} failed` : ''}`;
}

export interface Rounds {
  readonly rounds: number;
  readonly warmup: number;
  readonly duration: number;
}

/**
 * `load` against each of `targets` in turn, round after round, so that the machine's other load falls on all of
 * them alike; first a warm-up per target (its code optimised, the service's operations compiled). `around`, when
 * given, runs before and after each measured run (to read counters of the sandbox or the service).
 */
export async function interleave<T>(
  targets: Record<string, Program>,
  load: Load | ((name: string) => Load),
  connections: number,
  timing: Rounds,
  around?: { before(name: string): Promise<T>; after(name: string, before: T, result: Run): Promise<string | void> },
): Promise<Record<string, Run[]>> {
  const loadOf = (name: string) => (typeof load === 'function' ? load(name) : load);
  const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  if (timing.warmup > 0) for (const [name, target] of Object.entries(targets)) await run(target, loadOf(name), connections, timing.warmup);
  for (let round = 1; round <= timing.rounds; round += 1) {
    for (const [name, target] of Object.entries(targets)) {
      const before = await around?.before(name);
      const result = await run(target, loadOf(name), connections, timing.duration);
      const extra = around ? await around.after(name, before as T, result) : undefined;
      runs[name]!.push(result);
      console.log(`${roundLine(round, name, result)}${extra ? `  ${extra}` : ''}`);
    }
  }
  return runs;
}

/** A target's rounds as the results keep them. */
export function targetResult(runs: readonly Run[]): TargetResult {
  const each = summarise(runs);
  return { rps: each.rps, p50: each.p50, p99: each.p99, cpuUsPerOp: each.cpuUsPerOp, rpsSpread: spread(each.rpsRange, each.rps), cpuSpread: spread(each.cpuRange, each.cpuUsPerOp), cpuBest: each.cpuRange[0], failed: each.failed };
}

/** The service's (`of`) throughput over each other target's, and each other's CPU per operation over its own. */
export function ratiosOf(medians: Record<string, TargetResult>, of = 'service'): Pick<ScenarioResult, 'ratios' | 'cpuRatios'> {
  const service_ = medians[of];
  if (!service_) return { ratios: {}, cpuRatios: {} };
  const others = Object.entries(medians).filter(([name]) => name !== of && name !== 'service-mode');
  return {
    ratios: Object.fromEntries(others.map(([name, { rps }]) => [name, ratio(service_.rps, rps)])),
    cpuRatios: Object.fromEntries(others.map(([name, { cpuUsPerOp }]) => [name, ratio(cpuUsPerOp, service_.cpuUsPerOp)])),
  };
}
