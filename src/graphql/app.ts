import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import type { DeprecationNotice, ServerConfig } from '../config/index.js';
import { createContextFactory, type Context, type ContextDeps } from './context.js';
import { maskError } from './errors.js';
import { useGraphiQLFiles } from './graphiql.js';
import { yogaLogger, type Logger } from '../observability/logger.js';
import { useGraphQLMetrics } from './plugins/graphql-metrics.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { limitPlugins } from './plugins/limits.js';
import { useBodyLimit } from './plugins/body-limit.js';
import { useCompiledExecution } from './plugins/compiled-execution.js';
import { useLargeResponseCompression } from './plugins/compression.js';
import { useCacheControl, type CacheVisibility } from './plugins/cache-control.js';
import { useDeprecationHeaders } from './plugins/deprecation-headers.js';
import { COST_HEADER, useOperationBudget } from './plugins/operation-budget.js';
import { useRequestErrorStatus } from './plugins/request-errors.js';
import { createOperationRecords } from './operation-record.js';
import { createSchema } from './schema/index.js';
import { boundedParseCaches } from './parse-caches.js';
import { NONE_OFF, type FeaturesOff } from '../config/bench-switches.js';

export interface AppDeps extends ContextDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Whether /metrics is served here; false when it has a port of its own (METRICS_PORT). */
  readonly serveMetrics: boolean;
  readonly tracing: Tracing;
  readonly server: ServerConfig & { readonly trustedDocuments?: ReadonlyMap<string, string> | undefined };
  /** What responses selecting a deprecated field announce in their headers. */
  readonly deprecation: DeprecationNotice;
  /** False from the moment the service starts shutting down. */
  readonly isReady: () => boolean;
  /** Whether gateway and CDN caches may share this service's answers between callers. */
  readonly cacheVisibility: CacheVisibility;
  /** For the benchmark's ablation only (config/bench-switches.ts): features turned off. */
  readonly off?: FeaturesOff;
}

const GRAPHQL_ENDPOINT = '/graphql';

/** Headers a browser page on an allowed origin may send. */
const CORS_HEADERS = ['content-type', 'x-auth-token', 'authorization', 'x-request-id', 'graphql-client-name', 'graphql-client-version', 'apollographql-client-name', 'apollographql-client-version', 'traceparent', 'x-graphql-yoga-csrf', COST_HEADER];

/** Response headers a browser page may read beyond the CORS-safelisted ones: the deprecation notice included. */
const EXPOSED_HEADERS = ['x-request-id', 'deprecation', 'link', 'sunset'];

/**
 * CORS headers for the allowed origins only: any other origin gets none, so its pages cannot read answers.
 * (Given a list, Yoga would answer every origin with an Access-Control-Allow-Origin of its own choosing.)
 */
function corsFor(origins: readonly string[]) {
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false as const;
    return { origin: [origin], methods: ['GET', 'POST'], allowedHeaders: CORS_HEADERS, exposedHeaders: EXPOSED_HEADERS, credentials: false };
  };
}

/**
 * The GraphQL server as a fetch handler: no environment, no listening. `main.ts` serves it; tests call it.
 * Endpoints: /graphql (GraphQL, and GraphiQL for browsers, with its files under /graphiql/), /healthz, /readyz, and
 * /metrics unless it has a port of its own.
 */
export function createApp(deps: AppDeps) {
  const off = deps.off ?? NONE_OFF;
  const records = createOperationRecords({
    deadlineMs: deps.limits.deadlineMs,
    maxResponseBytes: deps.limits.maxResponseBytes,
    tracing: deps.tracing,
    logger: deps.logger,
    ...(off.size > 0 && { off }),
  });
  const schema = createSchema({ imagesMaxIds: deps.limits.imagesMaxIds });
  const unless = <T>(feature: Parameters<FeaturesOff['has']>[0], plugins: T[]): T[] => (off.has(feature) ? [] : plugins);
  return createYoga<object, Context>({
    schema,
    context: createContextFactory(deps, records),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    maskedErrors: { maskError },
    parserAndValidationCache: boundedParseCaches(),
    logging: yogaLogger(deps.logger),
    // Counted by useBodyLimit instead, which reads a body with a Content-Length as it is.
    maxRequestBodySize: false,
    cors: corsFor(deps.server.corsOrigins),
    // Served by useGraphiQLFiles instead: Yoga's default page loads its scripts from a CDN (blank offline), and
    // @graphql-yoga/render-graphiql inlines them all in a 9 MB page sent whole on every open (issue 17).
    graphiql: false,
    plugins: [
      // First: its onResultProcess gives a request refused before it ran its code and status, which the record's log
      // line and the metrics then read.
      useRequestErrorStatus(),
      records.plugin,
      useReadinessCheck({ endpoint: '/readyz', check: () => deps.isReady() }),
      ...unless('csrf', [useCSRFPrevention()]),
      ...unless('body-limit', [useBodyLimit(deps.server.maxBodyBytes)]),
      ...unless('metrics', [useGraphQLMetrics(deps.metrics.registry, { graphqlEndpoint: GRAPHQL_ENDPOINT, records, serveMetrics: deps.serveMetrics })]),
      ...unless('limits', [...limitPlugins({ limits: deps.limits, introspection: deps.server.introspection, trustedDocuments: deps.server.trustedDocuments }), useOperationBudget({ maxImages: deps.limits.maxImages })]),
      ...unless('headers', [useCacheControl(deps.cacheVisibility, records), useDeprecationHeaders(deps.deprecation, records)]),
      ...unless('compiled-execution', [useCompiledExecution(schema)]),
      // After useCacheControl: its onResponse sets its files' Cache-Control after that has said no-store.
      ...(deps.server.graphiql ? [useGraphiQLFiles({ endpoint: GRAPHQL_ENDPOINT, options: { title: 'ecs-image-graph', defaultQuery: EXAMPLE_QUERY }, logger: deps.logger })] : []),
      useLargeResponseCompression(),
    ],
  });
}

export type App = ReturnType<typeof createApp>;

/**
 * GraphiQL's opening query: the image of Huawei's documentation (docs/legacy-api.md §1), which the built-in
 * sandbox serves.
 */
export const EXAMPLE_QUERY = `# The image from Huawei's documentation, served by the built-in sandbox.
# Press the run button (or Ctrl+Enter). Deprecated fields are underlined with a
# warning: hover one to read where IMS, the replacement API, keeps the same value.
query SampleImage {
  image(projectId: "9c53a566cb3443ab910cf0daebca90c4", id: "17a1890b-0fa4-485e-8505-14e294017988") {
    id
    osType
    osBit
    platform
    osVersion
    imageType
    virtualEnvType
    metadata {
      key
      value
    }
  }
}
`;
