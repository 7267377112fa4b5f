import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { defaultConfig, type OperationLimits, type UpstreamConfig } from '../../src/config.js';
import { connectLegacyApi, type LegacyApi } from '../../src/legacy/connect.js';
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
  body: { data?: Record<string, unknown> | null; errors?: GraphQLError[] };
}

/** Settings to change from the defaults; the rest are the service's own defaults. */
export interface AppOptions {
  limits?: Partial<OperationLimits>;
  upstream?: Partial<Omit<UpstreamConfig, 'circuit'>> & { circuit?: Partial<UpstreamConfig['circuit']> };
  /** Whether calls need an X-Auth-Token (false, as for the built-in sandbox, unless a test says otherwise). */
  tokenRequired?: boolean;
}

export interface TestApp {
  readonly app: App;
  readonly legacy: LegacyApi;
  /** POSTs an operation to the app, as a client would, and parses the answer. */
  query(query: string, options?: { variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** The app in front of the legacy endpoint at `upstream`, with its own pool and circuit breaker. */
export function appFor(upstream: URL, options: AppOptions = {}): TestApp {
  const defaults = defaultConfig();
  const upstreamConfig: UpstreamConfig = {
    ...defaults.upstream,
    ...options.upstream,
    circuit: { ...defaults.upstream.circuit, ...options.upstream?.circuit },
  };
  const legacy = connectLegacyApi(upstream, upstreamConfig);
  const app = createApp({
    client: legacy.client,
    limits: { ...defaults.limits, ...options.limits },
    tokenRequired: options.tokenRequired ?? false,
    logger: pino({ level: 'silent' }),
  });
  return {
    app,
    legacy,
    async query(query, { variables, headers } = {}) {
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
    },
    close: () => legacy.pool.close(),
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
  const testApp = appFor(sandbox.url, options);
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
