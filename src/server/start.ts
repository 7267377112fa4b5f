import { loadTrustedDocuments } from '../config/trusted-documents.js';
import type { Config } from '../config/index.js';
import { createApp } from '../graphql/app.js';
import { NONE_OFF, type FeaturesOff } from '../config/bench-switches.js';
import type { Logger } from '../observability/logger.js';
import { resolveEndpoints } from './endpoints.js';
import { createHttpServer } from './http-server.js';
import { listen } from './listen.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { describeRedis } from '../stores/redis-client.js';
import { createServices } from './services.js';
import { shutDown } from './shutdown.js';

/** A started service: where it listens, and how to stop it gracefully. */
export interface RunningService {
  readonly url: URL;
  /** Where /metrics is served on its own (METRICS_PORT); undefined: on the GraphQL port. */
  readonly metricsUrl: URL | undefined;
  /** The graceful stop of shutdown.ts; resolves once everything is closed. */
  stop(): Promise<void>;
}

/**
 * Starts the whole service from a validated config: the upstream endpoints (or the built-in sandbox), the
 * long-lived services, the GraphQL app and its HTTP server, listening on HOST:PORT. `off`: for the benchmark's
 * ablation only (config/bench-switches.ts).
 */
export async function startService(config: Config, logger: Logger, off: FeaturesOff = NONE_OFF): Promise<RunningService> {
  const trustedDocuments = config.server.trustedDocumentsFile ? await loadTrustedDocuments(config.server.trustedDocumentsFile) : undefined;
  const endpoints = await resolveEndpoints(config, logger);
  const { auth } = config.callers;
  if (auth.mode === 'service' && auth.callers.kind === 'network' && !endpoints.sandbox) {
    logger.warn(
      "SERVICE_CALLER_AUTH=network: callers are not authenticated, and every one spends this service's AK/SK. Make sure that only the gateway can reach this service.",
    );
  }
  const services = createServices(config, endpoints, { logger, tokenRequired: endpoints.sandbox === undefined, trustedDocuments, off });
  await services.ready();
  const app = createApp(services.appDeps);
  const http = createHttpServer(app, config.server, logger);
  let metrics: MetricsServer | undefined;
  const closeResources = async () => {
    await Promise.all([services.close(), endpoints.sandbox?.close(), metrics?.close()]);
  };
  let url: URL;
  try {
    const { metricsPort } = config.telemetry;
    if (metricsPort !== undefined) metrics = await startMetricsServer(services.metrics.registry, metricsPort, config.server.host);
    url = await listen(http.server, config.server.port, config.server.host, app.graphqlEndpoint);
  } catch (error) {
    await closeResources();
    throw error;
  }
  logger.info(
    {
      upstream: endpoints.primary.origin,
      backend: config.backend.kind,
      authMode: auth.mode,
      cache: config.redis.topology ? 'redis' : 'memory',
      redis: config.redis.topology && describeRedis(config.redis.topology),
      tracing: config.telemetry.otlpEndpoint !== undefined,
      metrics: metrics?.url.href ?? new URL('/metrics', url).href,
    },
    `GraphQL endpoint ready at ${url.href}`,
  );
  return {
    url,
    metricsUrl: metrics?.url,
    stop: async () => {
      await shutDown({
        http,
        logger,
        stopBeingReady: () => services.stopBeingReady(),
        closeResources,
        drainMs: config.server.drainMs,
        graceMs: config.server.graceMs,
      });
    },
  };
}
