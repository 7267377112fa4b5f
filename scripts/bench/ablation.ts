/**
 * The ablation table: the service measured whole and with each feature turned off in turn (then all of them at
 * once), in the same interleaved rounds as minimal Yoga and Apollo, for 1 and 50 images per operation, fresh ids
 * and the cache off. What a feature costs is what turning it off saves, in CPU per operation and in throughput.
 */
import { FEATURES, type Feature } from '../../src/config/bench-switches.js';
import type { AblationScenario } from '../bench-results.js';
import { LOADS, type Load } from './loads.js';
import { interleave, targetResult, type Rounds } from './measure.js';
import { reference, service, stop, type Program } from './processes.js';

const SCENARIOS: ReadonlyArray<{ name: string; title: string; load: Load; connections: number }> = [
  { name: 'one', title: '1 image per operation, 50 connections', load: LOADS.one, connections: 50 },
  { name: 'aliases', title: '50 images per operation (aliases), 20 connections', load: LOADS.aliases, connections: 20 },
];

const REFERENCES: Record<string, string> = { 'minimal-yoga': 'minimal-yoga', apollo: 'apollo-server' };

export async function ablation(upstream: Program, timing: Rounds, options: { features: readonly Feature[]; peers: readonly string[] }): Promise<AblationScenario[]> {
  const variants = [...options.features.map((feature) => [feature, feature] as const), ['all', 'all'] as const];
  console.log(`ablation: the service whole, then without each of ${options.features.length} features and without all of them; ${options.peers.join(', ')} beside\n`);
  const targets: Record<string, Program> = { service: await service(upstream.url) };
  for (const [name, off] of variants) targets[`-${name}`] = await service(upstream.url, {}, off);
  for (const peer of options.peers) targets[peer] = await reference(REFERENCES[peer]!, upstream.url);

  const results: AblationScenario[] = [];
  for (const scenario of SCENARIOS) {
    console.log(scenario.title);
    const runs = await interleave(targets, scenario.load, scenario.connections, timing);
    const full = targetResult(runs['service']!);
    const rows = variants.map(([name]) => {
      const off = targetResult(runs[`-${name}`]!);
      return {
        feature: name,
        description: name === 'all' ? '**all of them at once**' : FEATURES[name as Feature],
        off,
        rpsShare: Math.round((1 - full.rps / off.rps) * 1000) / 1000,
        cpuShare: Math.round(((full.cpuUsPerOp - off.cpuUsPerOp) / full.cpuUsPerOp) * 1000) / 1000,
      };
    });
    const references = Object.fromEntries(options.peers.map((peer) => [peer, targetResult(runs[peer]!)]));
    results.push({ name: scenario.name, title: scenario.title, full, rows, references });
    console.log(`\n${scenario.title}: the service whole ${full.rps}/s, ${full.cpuUsPerOp} µs/op; each feature's cost (CPU, throughput):`);
    for (const row of rows) console.log(`  ${row.feature.padEnd(20)} ${String(row.off.rps).padStart(6)}/s ${String(row.off.cpuUsPerOp).padStart(6)} µs/op  ${(row.cpuShare * 100).toFixed(1).padStart(5)}% CPU  ${(row.rpsShare * 100).toFixed(1).padStart(5)}% throughput`);
    for (const [peer, result] of Object.entries(references)) console.log(`  ${peer.padEnd(20)} ${String(result.rps).padStart(6)}/s ${String(result.cpuUsPerOp).padStart(6)} µs/op`);
    console.log('');
  }
  for (const target of Object.values(targets)) await stop(target);
  return results;
}
