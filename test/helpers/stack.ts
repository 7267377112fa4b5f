import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { LegacyClient } from '../../src/legacy/client.js';
import { createLegacyPool } from '../../src/legacy/pool.js';
import type { SampleImage } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

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

export interface AppOptions {
  concurrencyPerOperation?: number;
  imagesMaxIds?: number;
}

export interface TestApp {
  readonly app: App;
  /** POSTs an operation to the app, as a client would, and parses the answer. */
  query(query: string, options?: { variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** The app in front of the legacy endpoint at `upstream`, with its own pool. */
export function appFor(upstream: URL, options: AppOptions = {}): TestApp {
  const pool = createLegacyPool(upstream);
  const app = createApp({
    client: new LegacyClient(pool, upstream),
    concurrencyPerOperation: options.concurrencyPerOperation ?? 10,
    limits: { imagesMaxIds: options.imagesMaxIds ?? 100 },
    logger: pino({ level: 'silent' }),
  });
  return {
    app,
    async query(query, { variables, headers } = {}) {
      const response = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] };
    },
    close: () => pool.close(),
  };
}

export interface Stack extends TestApp {
  readonly sandbox: Sandbox;
  /** The paths the sandbox was asked for, in order. */
  upstreamPaths(): string[];
}

/** The sandbox on a free loopback port as the upstream, and the app in front of it. */
export async function startStack(options: AppOptions & { images?: readonly SampleImage[] } = {}): Promise<Stack> {
  const sandbox = await startSandbox(options.images ? { images: options.images } : {});
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
