import { pino } from 'pino';
import { createApp, type App } from '../../src/graphql/app.js';
import { defaultConfig, type BackendConfig, type CacheConfig, type CallersConfig, type Config, type LimitsConfig, type RedisConfig, type ServerConfig, type UpstreamConfig } from '../../src/config/index.js';
import type { Upstream } from '../../src/server/services.js';
import type { Logger } from '../../src/observability/logger.js';
import { createServices, type Services } from '../../src/server/services.js';
import { startService, type RunningService } from '../../src/server/start.js';
import type { SampleImage } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

export interface GraphQLError {
  message: string;
  locations?: Array<{ line: number; column: number }>;
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLError[]; extensions?: Record<string, unknown> };
}

/** Settings to change from the defaults; the rest are the service's own defaults. */
export interface AppOptions {
  server?: Partial<ServerConfig>;
  limits?: Partial<LimitsConfig>;
  upstream?: Partial<Omit<UpstreamConfig, 'circuit'>> & { circuit?: Partial<UpstreamConfig['circuit']> };
  /** The caller's credential and allowance: the quota guards are off unless a test turns them on. */
  callers?: Partial<CallersConfig>;
  /** Caching is off unless a test turns it on: most tests count upstream calls per operation. */
  cache?: Partial<CacheConfig>;
  /** Where the shared state lives: no Redis unless a test gives one (test/helpers/redis*.ts start them). */
  redis?: Partial<RedisConfig>;
  telemetry?: Partial<Config['telemetry']>;
  trustedDocuments?: ReadonlyMap<string, string>;
  /** Which API answers (the sandbox serves both), shadow mode's settings, and the deprecation notice. */
  backend?: Partial<Omit<BackendConfig, 'shadow' | 'deprecation'>> & { shadow?: Partial<BackendConfig['shadow']>; deprecation?: Partial<BackendConfig['deprecation']> };
  /** Whether calls need an X-Auth-Token (false, as for the built-in sandbox, unless a test says otherwise). */
  tokenRequired?: boolean;
  logger?: Logger;
}

export interface TestApp {
  readonly app: App;
  readonly services: Services;
  /** The connection of the backend that answers. */
  readonly upstream: Upstream;
  /** POSTs an operation to the app, as a client would, and parses the answer. */
  query(query: string, options?: { variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** The app in front of the legacy endpoint at `upstream`, with its own pool and circuit breaker. */
export async function appFor(upstream: URL, options: AppOptions = {}): Promise<TestApp> {
  const services = createServices(configWith(options), { primary: upstream, shadow: options.backend?.kind === 'shadow' ? upstream : undefined }, {
    logger: options.logger ?? pino({ level: 'silent' }),
    tokenRequired: options.tokenRequired ?? false,
    trustedDocuments: options.trustedDocuments,
  });
  await services.ready();
  const app = createApp(services.appDeps);
  return {
    app,
    services,
    upstream: services.upstream,
    async query(query, { variables, headers } = {}) {
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
    },
    close: () => services.close(),
  };
}

/** The service's defaults with a test's changes. */
export function configWith(options: AppOptions): Config {
  const defaults = defaultConfig();
  const upstream: UpstreamConfig = {
    ...defaults.upstream,
    // Like the cache, the quota guards are off unless a test turns them on: most tests count exact upstream calls.
    retryBudget: { percent: 100, minPerSecond: 1_000_000 },
    ...options.upstream,
    circuit: { ...defaults.upstream.circuit, ...options.upstream?.circuit },
  };
  return {
    server: { ...defaults.server, ...options.server },
    backend: {
      ...defaults.backend,
      ...options.backend,
      shadow: { ...defaults.backend.shadow, ...options.backend?.shadow },
      deprecation: { ...defaults.backend.deprecation, ...options.backend?.deprecation },
    },
    upstream,
    callers: { auth: defaults.callers.auth, rate: { calls: 0, windowSeconds: 1, burst: 0, burstWindowSeconds: 10 }, refusalTtlMs: 0, refusalsPerAddressPerMinute: 0, ...options.callers },
    cache: { ...defaults.cache, ttlMs: 0, notFoundTtlMs: 0, ...options.cache },
    redis: { ...defaults.redis, ...options.redis },
    limits: { ...defaults.limits, ...options.limits },
    telemetry: { ...defaults.telemetry, ...options.telemetry },
  };
}

export interface Stack extends TestApp {
  readonly sandbox: Sandbox;
  /** The paths the sandbox was asked for, in order. */
  upstreamPaths(): string[];
}

/** The sandbox on a free loopback port as the upstream, and the app in front of it. */
export async function startStack(options: AppOptions & { images?: readonly SampleImage[]; sandbox?: SandboxOptions } = {}): Promise<Stack> {
  const sandbox = await startSandbox({ ...options.sandbox, ...(options.images && { images: options.images }) });
  const testApp = await appFor(sandbox.url, options);
  return {
    ...testApp,
    sandbox,
    upstreamPaths: () => sandbox.requests.map((request) => request.path),
    async close() {
      await testApp.close();
      await sandbox.close();
    },
  };
}

export const metadataPath = (projectId: string, imageId: string) => `/v2.1/${projectId}/images/${imageId}/metadata`;

/** Runs `run` against a fresh stack, closing it whatever happens. */
export async function withStack(options: Parameters<typeof startStack>[0], run: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await startStack(options);
  try {
    await run(stack);
  } finally {
    await stack.close();
  }
}

/**
 * The whole service as `npm start` starts it (src/server/start.ts: services, app, HTTP server, graceful stop), in
 * this process, in front of the ECS endpoint `upstream`, on a free loopback port: for what needs a real listening
 * server but not a process of its own (signals and exit codes are test/e2e's).
 */
export function startInProcess(upstream: URL, options: AppOptions = {}): Promise<RunningService> {
  const config = configWith({ ...options, server: { port: 0, host: '127.0.0.1', ...options.server } });
  return startService({ ...config, backend: { ...config.backend, ecsEndpoint: upstream } }, options.logger ?? pino({ level: 'silent' }));
}
