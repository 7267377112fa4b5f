/** What `npm run bench -- --write` keeps (bench/results.json), and the table of docs/performance.md made from it. */
export const RESULTS_FILE = new URL('../bench/results.json', import.meta.url);

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  /** Per target: median operations per second and median p50 latency (ms). */
  readonly medians: Record<string, { readonly rps: number; readonly p50: number }>;
  /** The service's throughput over each peer's. */
  readonly ratios: Record<string, number>;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly upstreamCallsPerImage: { readonly cold: number; readonly warm: number };
  readonly latency: ReadonlyArray<{ readonly settings: string; readonly oneP50: number; readonly hundredP50: number; readonly ratio: number }> | undefined;
  readonly memory: ReadonlyArray<{ readonly settings: string; readonly idleMb: number; readonly peakMb: number }> | undefined;
}

const PEERS = ['minimal-yoga', 'apollo'] as const;

/** docs/performance.md's figures: those of the last `npm run bench -- --write`. */
export function performanceSection(results: BenchResults): string {
  const cell = (scenario: ScenarioResult, name: string) => {
    const median = scenario.medians[name];
    return median ? `${median.rps}/s, p50 ${median.p50} ms` : '-';
  };
  const throughput = [
    '| scenario | service | minimal Yoga | Yoga + graphql-jit | Apollo Server 5 | bare proxy | service / minimal Yoga | service / Apollo |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.scenarios
      .filter((scenario) => scenario.name !== 'proxy')
      .map((scenario) =>
        [
          scenario.title,
          cell(scenario, 'service'),
          cell(scenario, 'minimal-yoga'),
          cell(scenario, 'yoga-jit'),
          cell(scenario, 'apollo'),
          // One image per HTTP request: comparable with the single-image operation only.
          scenario.name === 'one' ? cell(results.scenarios.find((each) => each.name === 'proxy') ?? scenario, 'bare-proxy') : '-',
          ...PEERS.map((name) => (scenario.ratios[name] === undefined ? '-' : `**${scenario.ratios[name]}x**`)),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
  ];
  const lines = [
    `Measured on ${results.date}, ${results.machine}, by \`npm run bench -- --write\` (${results.rounds} interleaved rounds of ${results.seconds} s; medians).`,
    '',
    ...throughput,
    '',
    `Upstream calls per image asked for: ${results.upstreamCallsPerImage.cold.toFixed(2)} with fresh ids (cold), ${results.upstreamCallsPerImage.warm.toFixed(2)} when one caller asks for one image again and again (warm).`,
  ];
  if (results.latency) {
    lines.push('', '| 100 images vs 1 image, upstream latency 20 ms | 1 image p50 | 100 images p50 | ratio |', '| --- | --- | --- | --- |');
    for (const row of results.latency) lines.push(`| ${row.settings} | ${row.oneP50} ms | ${row.hundredP50} ms | ${row.ratio}x |`);
  }
  if (results.memory) {
    lines.push('', '| memory, 100 connections of fresh ids | idle RSS | peak RSS |', '| --- | --- | --- |');
    for (const row of results.memory) lines.push(`| ${row.settings} | ${row.idleMb} MB | ${row.peakMb} MB |`);
  }
  return lines.join('\n');
}
