/**
 * Features the benchmark turns off one at a time to measure what each costs (`npm run bench -- --ablation`, the
 * table of docs/performance.md). Not settings: no environment variable or config file reaches them, only the
 * benchmark's own launcher (bench/service.ts) passes them to startService (server/start.ts); a deployment always runs with
 * every feature on. Turning one off keeps the service answering the bench's queries alike, nothing more: it is
 * never a way to run in production.
 */
export const FEATURES = {
  metrics: 'metrics (Prometheus: per operation, per upstream attempt, per cache lookup)',
  'operation-log': 'the log line per operation',
  tracing: 'the tracing hooks (tracing itself is off by default)',
  'rate-limit': 'the per-caller rate limit (allowance of upstream calls)',
  retries: 'retries and the retry budget',
  breaker: 'the circuit breaker',
  coalescer: 'the coalescer (one call shared by concurrent requests)',
  'concurrency-caps': 'both concurrency caps (per operation, and the global queue of connection slots)',
  limits: 'the operation budget and GraphQL Armor limits',
  csrf: 'CSRF prevention',
  headers: 'deprecation headers and Cache-Control',
  'compiled-execution': 'compiled execution (graphql-jit)',
  'body-limit': 'the request body-size limit',
  'body-parser': "the upstream body's order-keeping parser (plain JSON.parse instead)",
} as const;

export type Feature = keyof typeof FEATURES;

/** The features turned off; empty in every deployment. */
export type FeaturesOff = ReadonlySet<Feature>;

export const NONE_OFF: FeaturesOff = new Set();

/** `list` (comma-separated names, or `all`) as features; throws on a name it does not know. */
export function featuresOff(list: string | undefined): FeaturesOff {
  if (!list) return NONE_OFF;
  if (list === 'all') return new Set(Object.keys(FEATURES) as Feature[]);
  const names = list.split(',');
  const unknown = names.filter((name) => !(name in FEATURES));
  if (unknown.length > 0) throw new Error(`unknown features: ${unknown.join(', ')} (known: ${Object.keys(FEATURES).join(', ')}, or all)`);
  return new Set(names as Feature[]);
}
