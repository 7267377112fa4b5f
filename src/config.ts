import { cleanEnv, EnvError, host, makeValidator, str } from 'envalid';

/**
 * Every setting, read from the environment. Each entry's `desc` and `default` are the documentation:
 * the README's configuration table is generated from this object (`npm run docs:config`) and a test
 * fails when the two differ.
 */
export const settings = {
  PORT: integer(0, 65_535)({ default: 4000, desc: 'TCP port the GraphQL server listens on; 0 picks a free port (the log says which).' }),
  HOST: host({
    default: '127.0.0.1',
    desc: 'Interface the GraphQL server listens on. Use `0.0.0.0` to accept connections from other machines.',
  }),
  ECS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`. Unset or empty: the built-in sandbox is started on a free loopback port and used instead.',
  }),
  UPSTREAM_CONCURRENCY_PER_OPERATION: integer(1, 1000)({
    default: 10,
    desc: 'Most upstream calls one GraphQL operation may have in flight at once; the rest of its images wait their turn.',
  }),
  IMAGES_MAX_IDS: integer(1, 10_000)({
    default: 100,
    desc: 'Most ids one `images` field accepts; a longer list is refused with `BAD_USER_INPUT` before any upstream call.',
  }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'Least severe log level written (pino levels).',
  }),
};

/** The validated settings, named for the code that uses them. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** The legacy API's base URL; `undefined` means "start and use the built-in sandbox". */
  readonly ecsEndpoint: URL | undefined;
  readonly concurrencyPerOperation: number;
  readonly imagesMaxIds: number;
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
    concurrencyPerOperation: clean.UPSTREAM_CONCURRENCY_PER_OPERATION,
    imagesMaxIds: clean.IMAGES_MAX_IDS,
    logLevel: clean.LOG_LEVEL,
  };
}

function integer(min: number, max: number) {
  return makeValidator<number>((input) => {
    const value = /^\d+$/.test(input.trim()) ? Number(input) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new EnvError(`must be a whole number from ${min} to ${max}, got "${input}"`);
    }
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
