import { totalmem } from 'node:os';
import { customCleanEnv } from 'envalid';
import { BACKEND_RULES, BACKEND_SETTINGS, readBackend } from './backend.js';
import { CACHE_RULES, CACHE_SETTINGS, readCache } from './cache.js';
import { CALLER_RULES, CALLER_SETTINGS, readCallers } from './callers.js';
import { LIMIT_RULES, LIMIT_SETTINGS, readLimits } from './limits.js';
import type { Problem, Rule, Section, Values } from './section.js';
import { readRedis, REDIS_RULES, REDIS_SETTINGS } from './redis.js';
import { readServer, SERVER_RULES, SERVER_SETTINGS } from './server.js';
import { readTelemetry, TELEMETRY_RULES, TELEMETRY_SETTINGS } from './telemetry.js';
import { readUpstream, UPSTREAM_SETTINGS } from './upstream.js';

export type { BackendConfig, BackendKind, DeprecationNotice } from './backend.js';
export type { CacheConfig } from './cache.js';
export type { AuthConfig, CallerRate, CallersConfig, ServiceCallers } from './callers.js';
export type { LimitsConfig } from './limits.js';
export type { HostPort, RedisConfig, RedisTopology } from './redis.js';
export type { ServerConfig } from './server.js';
export type { TelemetryConfig } from './telemetry.js';
export type { UpstreamConfig } from './upstream.js';

/** Every concern's settings, in the order the documentation lists them. */
export const SECTIONS: readonly Section[] = [
  { name: 'server', title: 'Server', settings: SERVER_SETTINGS },
  { name: 'backend', title: 'Backend: which API answers', settings: BACKEND_SETTINGS },
  { name: 'upstream', title: 'Upstream calls', settings: UPSTREAM_SETTINGS },
  { name: 'callers', title: 'Callers: credentials and allowances', settings: CALLER_SETTINGS },
  { name: 'cache', title: 'Cache', settings: CACHE_SETTINGS },
  { name: 'redis', title: 'Redis: state shared by every replica', settings: REDIS_SETTINGS },
  { name: 'limits', title: 'Operation limits', settings: LIMIT_SETTINGS },
  { name: 'telemetry', title: 'Telemetry', settings: TELEMETRY_SETTINGS },
];

const SETTINGS = { ...SERVER_SETTINGS, ...BACKEND_SETTINGS, ...UPSTREAM_SETTINGS, ...CALLER_SETTINGS, ...CACHE_SETTINGS, ...REDIS_SETTINGS, ...LIMIT_SETTINGS, ...TELEMETRY_SETTINGS };

/** Every variable the service reads. */
export const SETTING_NAMES: ReadonlySet<string> = new Set(Object.keys(SETTINGS));

const RULES: ReadonlyArray<Rule<typeof SETTINGS>> = [...SERVER_RULES, ...BACKEND_RULES, ...CALLER_RULES, ...CACHE_RULES, ...REDIS_RULES, ...LIMIT_RULES, ...TELEMETRY_RULES];

/** The validated settings, one section per concern (each file of src/config/ says what its options mean). */
export interface Config {
  readonly server: ReturnType<typeof readServer>;
  readonly backend: ReturnType<typeof readBackend>;
  readonly upstream: ReturnType<typeof readUpstream>;
  readonly callers: ReturnType<typeof readCallers>;
  readonly cache: ReturnType<typeof readCache>;
  readonly redis: ReturnType<typeof readRedis>;
  readonly limits: ReturnType<typeof readLimits>;
  readonly telemetry: ReturnType<typeof readTelemetry>;
}

/** The environment holds bad values; the message names each variable and what it needs, one line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly Problem[]) {
    super(`Invalid configuration:\n${problems.map(({ variable, message }) => `  ${variable}: ${message}`).join('\n')}`);
  }
}

/** The memory this process may use: its container's limit (cgroup), or the machine's memory when it has none. */
export function memoryLimitBytes(): number {
  return Math.min(process.constrainedMemory() || Number.POSITIVE_INFINITY, totalmem());
}

/**
 * Reads every setting in one pass: each variable is checked on its own, then the rules between variables run
 * on those that passed, and every problem found is reported at once, so that three mistakes cost one restart.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, memoryLimit = memoryLimitBytes()): Config {
  const problems: Problem[] = [];
  const values = customCleanEnv(env, SETTINGS, (cleaned) => cleaned, {
    reporter: ({ errors }) => {
      for (const [variable, error] of Object.entries(errors)) problems.push({ variable, message: error?.message ?? 'invalid' });
    },
  }) as Partial<Values<typeof SETTINGS>>;
  for (const rule of RULES) {
    const problem = rule(values);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const valid = values as Values<typeof SETTINGS>;
  return {
    server: readServer(valid),
    backend: readBackend(valid),
    upstream: readUpstream(valid),
    callers: readCallers(valid),
    cache: readCache(valid, memoryLimit),
    redis: readRedis(valid),
    limits: readLimits(valid),
    telemetry: readTelemetry(valid),
  };
}

/** The settings as they are with an empty environment: the defaults tests and tools start from. */
export const defaultConfig = (): Config => loadConfig({});
