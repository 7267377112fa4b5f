import { cleanEnv, EnvError, host, makeValidator, str } from 'envalid';

/**
 * Every setting, read from the environment. Each entry's `desc` and `default` are the documentation:
 * the README's configuration table is generated from this object (`npm run docs:config`) and a test
 * fails when the two differ.
 */
export const settings = {
  PORT: integer(0, 65_535)({ default: 4000, desc: 'TCP port the GraphQL server listens on; 0 picks a free port (the log says which).' }),
  HOST: host({ default: '127.0.0.1', desc: 'Interface the GraphQL server listens on. Use `0.0.0.0` to accept connections from other machines.' }),
  ECS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`. Unset or empty: the built-in sandbox is started on a free loopback port and used instead.',
  }),
  IMAGES_MAX_IDS: integer(1, 10_000)({
    default: 100,
    desc: 'Most ids one `images` field accepts; a longer list is refused with `BAD_USER_INPUT` before any upstream call.',
  }),
  OPERATION_DEADLINE_MS: integer(100, 600_000)({
    default: 10_000,
    desc: 'Longest a GraphQL operation waits for the upstream, retries included. Images not fetched by then fail with `UPSTREAM_TIMEOUT`; the rest of the answer is sent.',
  }),
  UPSTREAM_CONCURRENCY_PER_OPERATION: integer(1, 1000)({
    default: 10,
    desc: 'Most upstream calls one GraphQL operation may have in flight at once; the rest of its images wait their turn.',
  }),
  UPSTREAM_MAX_CONNECTIONS: integer(1, 1000)({
    default: 20,
    desc: 'Most upstream calls in flight at once across all operations (and the size of the connection pool); the rest queue, so a burst of queries cannot trip Huawei\'s throttling.',
  }),
  UPSTREAM_TIMEOUT_MS: integer(10, 600_000)({
    default: 5000,
    desc: 'Longest one attempt may take, from getting a connection slot to the end of the body; then it is aborted, its socket closed, and retried.',
  }),
  UPSTREAM_RETRIES: integer(0, 10)({
    default: 2,
    desc: 'Further attempts after a 429, 500, 502, 503, 504, timeout or connection error. Other answers are never retried; no retry starts that cannot finish before the deadline.',
  }),
  UPSTREAM_RETRY_BASE_DELAY_MS: integer(0, 60_000)({
    default: 200,
    desc: 'Upper bound of the first backoff; it doubles with each retry, and the actual wait is drawn at random below it (full jitter).',
  }),
  UPSTREAM_RETRY_MAX_DELAY_MS: integer(0, 600_000)({
    default: 5000,
    desc: 'Longest wait before a retry. A `Retry-After` (or Nova `retryAfter`) up to this long is honoured exactly; a longer one is not waited for and the image fails with `RATE_LIMITED` and `extensions.retryAfter`.',
  }),
  CIRCUIT_FAILURE_RATE: fraction()({
    default: 0.5,
    desc: 'Share of upstream calls (0 to 1) that must fail (5xx, connection error or timeout) within `CIRCUIT_WINDOW_MS` to open the circuit; while open, calls fail fast with `UPSTREAM_UNAVAILABLE`.',
  }),
  CIRCUIT_WINDOW_MS: integer(1000, 3_600_000)({ default: 10_000, desc: 'Rolling window over which the failure rate is measured.' }),
  CIRCUIT_MIN_CALLS: integer(1, 1_000_000)({
    default: 20,
    desc: 'Least number of calls within the window before the circuit may open, so a few failures alone never open it.',
  }),
  CIRCUIT_HALF_OPEN_AFTER_MS: integer(100, 3_600_000)({
    default: 5000,
    desc: 'How long the circuit stays open before one trial call is let through; its success closes the circuit, its failure opens it again.',
  }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'Least severe log level written (pino levels).',
  }),
};

/** How the service talks to the legacy API. */
export interface UpstreamConfig {
  readonly maxConnections: number;
  readonly attemptTimeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly circuit: {
    readonly failureRate: number;
    readonly windowMs: number;
    readonly minCalls: number;
    readonly halfOpenAfterMs: number;
  };
}

/** What one GraphQL operation may ask of the upstream. */
export interface OperationLimits {
  /** Most ids one `images` field accepts. */
  readonly imagesMaxIds: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
}

/** The validated settings, named for the code that uses them. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** The legacy API's base URL; `undefined` means "start and use the built-in sandbox". */
  readonly ecsEndpoint: URL | undefined;
  readonly limits: OperationLimits;
  readonly upstream: UpstreamConfig;
  readonly logLevel: string;
}

/** The environment holds a bad value; the message names each variable and what it needs. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = cleanEnv(env, settings, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, error]) => `  ${name}: ${error?.message ?? 'invalid'}`);
      if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
    },
  });
  return {
    port: clean.PORT,
    host: clean.HOST,
    ecsEndpoint: clean.ECS_ENDPOINT === '' ? undefined : new URL(clean.ECS_ENDPOINT),
    limits: {
      imagesMaxIds: clean.IMAGES_MAX_IDS,
      deadlineMs: clean.OPERATION_DEADLINE_MS,
      concurrency: clean.UPSTREAM_CONCURRENCY_PER_OPERATION,
    },
    upstream: {
      maxConnections: clean.UPSTREAM_MAX_CONNECTIONS,
      attemptTimeoutMs: clean.UPSTREAM_TIMEOUT_MS,
      retries: clean.UPSTREAM_RETRIES,
      retryBaseDelayMs: clean.UPSTREAM_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: clean.UPSTREAM_RETRY_MAX_DELAY_MS,
      circuit: {
        failureRate: clean.CIRCUIT_FAILURE_RATE,
        windowMs: clean.CIRCUIT_WINDOW_MS,
        minCalls: clean.CIRCUIT_MIN_CALLS,
        halfOpenAfterMs: clean.CIRCUIT_HALF_OPEN_AFTER_MS,
      },
    },
    logLevel: clean.LOG_LEVEL,
  };
}

/** The settings as they are with an empty environment: the defaults tests and tools start from. */
export const defaultConfig = (): Config => loadConfig({});

function integer(min: number, max: number) {
  return makeValidator<number>((input) => {
    const value = /^\d+$/.test(input.trim()) ? Number(input) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new EnvError(`must be a whole number from ${min} to ${max}, got "${input}"`);
    }
    return value;
  });
}

function fraction() {
  return makeValidator<number>((input) => {
    const value = /^\s*(0?\.\d+|0|1)\s*$/.test(input) ? Number(input) : Number.NaN;
    if (!(value > 0 && value < 1)) throw new EnvError(`must be a number between 0 and 1 (exclusive), got "${input}"`);
    return value;
  });
}

/** An http(s) base URL. The value is not echoed: a URL may carry credentials. */
function endpointUrl(spec: { default: string; desc: string }) {
  return makeValidator<string>((input) => {
    if (input === '') return '';
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new EnvError('must be an http(s) URL such as https://ecs.cn-north-4.myhuaweicloud.com');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EnvError('must use http or https');
    if (url.username !== '' || url.password !== '') throw new EnvError('must not contain credentials');
    if (url.search !== '' || url.hash !== '') throw new EnvError('must not have a query string or fragment');
    return url.href;
  })(spec);
}
