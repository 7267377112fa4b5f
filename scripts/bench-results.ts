/**
 * What `npm run bench -- --write` keeps (bench/results.json; with `--ablation`, bench/ablation.json), and the
 * tables of docs/performance.md made from them (scripts/doc-tables.ts).
 */
export const RESULTS_FILE = new URL('../bench/results.json', import.meta.url);
export const ABLATION_FILE = new URL('../bench/ablation.json', import.meta.url);

/** One target in one scenario: medians over the rounds, and how far the rounds spread. */
export interface TargetResult {
  /** Operations per second. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** The target process's CPU time per operation, in microseconds. */
  readonly cpuUsPerOp: number;
  /** (highest - lowest) / median over the rounds, in percent. */
  readonly rpsSpread: number;
  readonly cpuSpread: number;
  /**
   * The least CPU per operation of any round: the machine's other load only ever adds to it (a busy core's caches
   * and its sibling thread are shared), so the quietest round is the closest to what the code itself costs.
   */
  readonly cpuBest: number;
  /** Failed answers over every round (a GraphQL error counts). */
  readonly failed: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly medians: Record<string, TargetResult>;
  /** The service's throughput over each peer's. */
  readonly ratios: Record<string, number>;
  /** Each peer's CPU per operation over the service's: above 1, the service spends less. */
  readonly cpuRatios: Record<string, number>;
}

/** The realistic workload (many callers, Zipf-like ids, the cache on). */
export interface RealisticResult extends ScenarioResult {
  /** Per target: upstream calls per operation, and for the service its cache's hit rate (lookups that hit, 0 to 1). */
  readonly upstream: Record<string, { readonly callsPerOp: number; readonly hitRate: number | undefined }>;
  /** What the service's CPU costs per image, measured on one caller: one served from the cache, one fetched. */
  readonly perImage: { readonly cachedUs: number; readonly fetchedUs: number; readonly perOperationUs: number } | undefined;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly realistic: RealisticResult | undefined;
  readonly upstreamCallsPerImage: { readonly cold: number; readonly warm: number };
  readonly latency: ReadonlyArray<{ readonly settings: string; readonly oneP50: number; readonly hundredP50: number; readonly ratio: number }> | undefined;
  readonly memory: ReadonlyArray<{ readonly settings: string; readonly idleMb: number; readonly peakMb: number }> | undefined;
}

/** One scenario of the ablation: the service whole, with each feature off in turn, and the references. */
export interface AblationScenario {
  readonly name: string;
  readonly title: string;
  readonly full: TargetResult;
  readonly rows: ReadonlyArray<{
    readonly feature: string;
    readonly description: string;
    readonly off: TargetResult;
    /** What the feature takes of the throughput the service has without it: 1 - whole / off, the median of the pairs. */
    readonly rpsShare: number;
    /** What the feature takes of the service's CPU per operation: (whole - off) / whole, the median of the pairs. */
    readonly cpuShare: number;
    /** That share in each pair, round by round. */
    readonly cpuShares: readonly number[];
  }>;
  /** Each peer, and its CPU per operation over the service's (the median of the pairs). */
  readonly references: Record<string, TargetResult & { readonly cpuRatio: number }>;
}

export interface AblationResults {
  readonly date: string;
  readonly machine: string;
  readonly rounds: number;
  readonly seconds: number;
  /** Seconds of unmeasured load before each run. */
  readonly warmup: number;
  readonly scenarios: readonly AblationScenario[];
}

const PEERS = ['minimal-yoga', 'apollo'] as const;
const percent = (share: number) => `${Math.round(share * 100)}%`;
const cpu = (result: TargetResult) => `${result.cpuUsPerOp} µs (±${Math.round(result.cpuSpread / 2)}%)`;
const throughput = (result: TargetResult) => `${result.rps}/s (±${Math.round(result.rpsSpread / 2)}%)`;
const ratioCell = (scenario: ScenarioResult, name: string) =>
  scenario.ratios[name] === undefined ? '-' : `**${scenario.ratios[name]}x**; CPU ${scenario.cpuRatios[name] ?? '-'}x`;

/** docs/performance.md's figures: those of the last `npm run bench -- --write`. */
export function performanceSection(results: BenchResults): string {
  const cell = (scenario: ScenarioResult, name: string) => {
    const median = scenario.medians[name];
    return median ? `${median.rps}/s, p50 ${median.p50} ms, ${median.cpuUsPerOp} µs CPU` : '-';
  };
  const lines = [
    `Measured on ${results.date}, ${results.machine}, by \`npm run bench -- --write\` (${results.rounds} interleaved rounds of ${results.seconds} s; medians). ` +
      'CPU: the process\'s CPU time per operation. Ratios: throughput, and the peer\'s CPU per operation over the service\'s (above 1, the service spends less).',
    '',
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
          ...PEERS.map((name) => ratioCell(scenario, name)),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    `Upstream calls per image asked for: ${results.upstreamCallsPerImage.cold.toFixed(2)} with fresh ids (cold), ${results.upstreamCallsPerImage.warm.toFixed(2)} when one caller asks for one image again and again (warm).`,
  ];
  if (results.realistic) lines.push('', realisticSection(results.realistic));
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

const NAMES: Record<string, string> = {
  service: 'service (passthrough, a cache per caller)',
  'service-mode': 'service mode (one credential, one cache)',
  'minimal-yoga': 'minimal Yoga (no cache)',
  apollo: 'Apollo Server 5 + RESTDataSource (no cache)',
};

function realisticSection(realistic: RealisticResult): string {
  const rows = Object.entries(realistic.medians).map(([name, median]) => {
    const upstream = realistic.upstream[name];
    return [
      NAMES[name] ?? name,
      `${median.rps}/s (±${Math.round(median.rpsSpread / 2)}%)`,
      `${median.p99} ms`,
      upstream ? upstream.callsPerOp.toFixed(2) : '-',
      upstream?.hitRate === undefined ? '-' : percent(upstream.hitRate),
      `${median.cpuUsPerOp} µs`,
      name === 'service' || name === 'service-mode' ? '-' : `**${realistic.ratios[name] ?? '-'}x**; CPU ${realistic.cpuRatios[name] ?? '-'}x`,
    ].join(' | ');
  });
  const lines = [
    `**${realistic.title}.**`,
    '',
    '| target | throughput | p99 | upstream calls / operation | cache hit rate | CPU / operation | service / target |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ];
  if (realistic.perImage) {
    const { cachedUs, fetchedUs, perOperationUs } = realistic.perImage;
    lines.push(
      '',
      `CPU of the service per image (one caller, 1 and 20 images per operation, the difference over 19): ${cachedUs} µs served from the cache, ` +
        `${fetchedUs} µs fetched from the upstream; about ${perOperationUs} µs per operation besides.`,
    );
  }
  return lines.join('\n');
}

/** docs/performance.md's ablation table: the last `npm run bench -- --ablation --write`. */
export function ablationSection(results: AblationResults): string {
  const lines = [
    `Measured on ${results.date}, ${results.machine}, by \`npm run bench -- --ablation --write\` (${results.rounds} rounds of pairs of ${results.seconds} s runs, each after ${results.warmup} s unmeasured: ` +
      'the variant\'s twin, the service whole, then the variant; medians over the pairs). Fresh ids, the cache off, as in the scenarios above. A cost is what turning the feature off saves: ' +
      'its share of the service\'s CPU per operation, and of the throughput the service has without it; the CPU share of each pair is listed, so that its spread shows.',
  ];
  for (const scenario of results.scenarios) {
    lines.push(
      '',
      `**${scenario.title}**: the service whole ${throughput(scenario.full)}, ${cpu(scenario.full)} CPU per operation; ` +
        Object.entries(scenario.references)
          .map(([name, result]) => `${name === 'apollo' ? 'Apollo Server 5' : 'minimal Yoga'} ${result.rps}/s, ${result.cpuUsPerOp} µs (its CPU over the service\'s, pair by pair: ${result.cpuRatio}x)`)
          .join('; ') +
        '.',
      '',
      '| turned off | throughput | CPU / operation | cost: CPU | the pairs | cost: throughput |',
      '| --- | --- | --- | --- | --- | --- |',
      ...scenario.rows.map(
        (row) => `| ${row.description} | ${throughput(row.off)} | ${cpu(row.off)} | **${percent(row.cpuShare)}** | ${row.cpuShares.map(percent).join(', ')} | ${percent(row.rpsShare)} |`,
      ),
    );
  }
  return lines.join('\n');
}
