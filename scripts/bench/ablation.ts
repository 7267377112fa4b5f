/**
 * The ablation table: what each feature costs, as what turning it off saves, for 1 and 50 images per operation,
 * fresh ids and the cache off. Each variant (the service with one feature off, then with all of them off) and
 * each reference is measured in pairs: its twin (the service whole, a process of its own), then the variant, back
 * to back, round after round. On
 * a shared machine whose load drifts over minutes, a pair a few seconds long sees the same load on both sides;
 * a feature's cost is the median over the rounds of what its pair says, not the difference of two medians taken
 * minutes apart (which the drift alone moved by more than most features cost). Each run follows a warm-up of
 * its own (`--warmup` seconds).
 */
import { FEATURES, type Feature } from '../../src/config/bench-switches.js';
import type { AblationScenario } from '../bench-results.js';
import { LOADS, type Load } from './loads.js';
import { median, roundLine, run, targetResult, type Rounds, type Run } from './measure.js';
import { reference, service, stop, type Program } from './processes.js';

const SCENARIOS: ReadonlyArray<{ name: string; title: string; load: Load; connections: number }> = [
  { name: 'one', title: '1 image per operation, 50 connections', load: LOADS.one, connections: 50 },
  { name: 'aliases', title: '50 images per operation (aliases), 20 connections', load: LOADS.aliases, connections: 20 },
];

const REFERENCES: Record<string, string> = { 'minimal-yoga': 'minimal-yoga', apollo: 'apollo-server' };

interface Pair {
  readonly full: Run;
  readonly other: Run;
}

const share = (value: number) => Math.round(value * 1000) / 1000;
/** What the feature takes of the service's CPU per operation in one pair: (whole - without it) / whole. */
const cpuShare = ({ full, other }: Pair) => (full.cpuUsPerOp - other.cpuUsPerOp) / full.cpuUsPerOp;
/** What it takes of the throughput the service has without it: 1 - whole / without it. */
const rpsShare = ({ full, other }: Pair) => 1 - full.rps / other.rps;

export async function ablation(upstream: Program, timing: Rounds, options: { features: readonly Feature[]; peers: readonly string[] }): Promise<AblationScenario[]> {
  const variants = [...options.features, 'all'] as const;
  console.log(`ablation: the service whole, each time beside the service without one of ${options.features.length} features, without all of them, ${[...options.peers, ''].join(', ')}in pairs\n`);
  // Each variant and peer has a twin of its own, the service whole, run right before it: the two then keep the same
  // rhythm (a few seconds of load a minute), so neither is warmer than the other.
  const others: Record<string, Program> = {};
  const twins: Record<string, Program> = {};
  for (const name of variants) others[`-${name}`] = await service(upstream.url, {}, name);
  for (const peer of options.peers) others[peer] = await reference(REFERENCES[peer]!, upstream.url);
  for (const name of Object.keys(others)) twins[name] = await service(upstream.url);

  const results: AblationScenario[] = [];
  for (const scenario of SCENARIOS) {
    console.log(scenario.title);
    // Each run is preceded by `warmup` seconds of the same load, unmeasured: a process idle for a minute has shrunk
    // its heap and gone cold.
    const measure = async (target: Program) => {
      if (timing.warmup > 0) await run(target, scenario.load, scenario.connections, timing.warmup);
      return run(target, scenario.load, scenario.connections, timing.duration);
    };
    const pairs: Record<string, Pair[]> = Object.fromEntries(Object.keys(others).map((name) => [name, []]));
    for (let round = 1; round <= timing.rounds; round += 1) {
      for (const [name, other] of Object.entries(others)) {
        const pair = { full: await measure(twins[name]!), other: await measure(other) };
        pairs[name]!.push(pair);
        console.log(`${roundLine(round, 'service', pair.full)}\n${roundLine(round, name, pair.other)}  cost ${(cpuShare(pair) * 100).toFixed(1)}% CPU`);
      }
    }
    const full = targetResult(Object.values(pairs).flatMap((list) => list.map((pair) => pair.full)));
    const rows = variants.map((name) => {
      const list = pairs[`-${name}`]!;
      return {
        feature: name,
        description: name === 'all' ? '**all of them at once**' : FEATURES[name as Feature],
        off: targetResult(list.map((pair) => pair.other)),
        rpsShare: share(median(list.map(rpsShare))),
        cpuShare: share(median(list.map(cpuShare))),
        cpuShares: list.map((pair) => share(cpuShare(pair))),
      };
    });
    const references = Object.fromEntries(
      options.peers.map((peer) => {
        const list = pairs[peer]!;
        // The service's CPU per operation over the peer's, pair by pair: below 1, the service spends more.
        return [peer, { ...targetResult(list.map((pair) => pair.other)), cpuRatio: share(median(list.map((pair) => pair.other.cpuUsPerOp / pair.full.cpuUsPerOp))) }];
      }),
    );
    results.push({ name: scenario.name, title: scenario.title, full, rows, references });
    const percent = (value: number) => `${(value * 100).toFixed(1).padStart(6)}%`;
    console.log(`\n${scenario.title}: the service whole ${full.rps}/s, ${full.cpuUsPerOp} µs/op; what each feature costs (medians of the pairs):`);
    for (const row of rows) {
      console.log(`  ${row.feature.padEnd(20)} ${String(row.off.rps).padStart(6)}/s ${String(row.off.cpuUsPerOp).padStart(6)} µs/op  ${percent(row.cpuShare)} CPU (pairs: ${row.cpuShares.map((each) => `${Math.round(each * 100)}%`).join(', ')})  ${percent(row.rpsShare)} throughput`);
    }
    for (const [peer, result] of Object.entries(references)) console.log(`  ${peer.padEnd(20)} ${String(result.rps).padStart(6)}/s ${String(result.cpuUsPerOp).padStart(6)} µs/op  the peer's CPU over the service's: ${result.cpuRatio}x`);
    console.log('');
  }
  for (const target of [...Object.values(others), ...Object.values(twins)]) await stop(target);
  return results;
}
