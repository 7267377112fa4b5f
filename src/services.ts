import { createAccess } from './images/access.js';
import type { AppDeps } from './graphql/app.js';
import { Coalescer } from './images/cache/coalescer.js';
import { ImageCache } from './images/cache/image-cache.js';
import { createMemoryStore } from './images/cache/memory-store.js';
import { RedisLink } from './images/cache/redis-link.js';
import { createRedisStore } from './images/cache/redis-store.js';
import type { Config } from './config.js';
import { createCallerRateLimit } from './images/caller-rate-limit.js';
import { ImageSource, type Fetched } from './images/image-source.js';
import { connectLegacyApi, type LegacyApi } from './backends.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { createObserver } from './observability/observer.js';
import { createTracing, type Tracing } from './observability/tracing.js';

/** The long-lived parts of the service, made once at start from the config and closed on shutdown. */
export interface Services {
  readonly appDeps: AppDeps;
  readonly legacy: LegacyApi;
  readonly cache: ImageCache;
  readonly coalescer: Coalescer<Fetched>;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  /** Resolves once the cache store is connected (or has given up trying, for now). */
  ready(): Promise<void>;
  /** From now on /readyz answers 503. */
  stopBeingReady(): void;
  /** Closes the pool, the cache (Redis) and the trace exporter, flushing what it holds. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  readonly logger: Logger;
  /** Whether a passthrough caller must bring a token (false only for the built-in sandbox). */
  readonly tokenRequired: boolean;
  readonly trustedDocuments?: ReadonlyMap<string, string> | undefined;
}

/** @param endpoint the legacy API (the configured one, or the built-in sandbox) */
export function createServices(config: Config, endpoint: URL, options: ServiceOptions): Services {
  const metrics = new Metrics();
  const observer = createObserver(metrics, options.logger);
  const tracing = createTracing({ endpoint: config.telemetry.otlpEndpoint, serviceName: config.telemetry.serviceName });
  const legacy = connectLegacyApi(endpoint, config.upstream, observer, tracing);
  const redis = config.cache.redisUrl ? new RedisLink(config.cache.redisUrl, options.logger) : undefined;
  const store = redis ? createRedisStore(redis) : createMemoryStore(config.cache.maxBytes);
  const cache = new ImageCache(store, { ...config.cache, refusalTtlMs: config.upstream.authFailureTtlMs });
  const coalescer = new Coalescer<Fetched>();
  const source = new ImageSource(legacy.backend, cache, coalescer, createCallerRateLimit(config.upstream.callerRate, redis), observer);
  const access = createAccess(config.auth, { tokenRequired: options.tokenRequired, tokenScope: (token) => cache.tokenScope(token) });
  let ready = true;
  return {
    appDeps: {
      source,
      access,
      limits: config.limits,
      observer,
      logger: options.logger,
      metrics,
      tracing,
      http: { ...config.http, trustedDocuments: options.trustedDocuments },
      queryLimits: config.queryLimits,
      isReady: () => ready,
      // Only a service that answers every caller alike (its own key, no caller check) may be cached publicly.
      cacheVisibility: config.auth.mode === 'service' && config.auth.callers.kind === 'network' ? 'public' : 'private',
    },
    legacy,
    cache,
    coalescer,
    metrics,
    tracing,
    ready: () => store.ready(),
    stopBeingReady() {
      ready = false;
    },
    async close() {
      // Cache writes still under way are made before Redis is closed: nothing fetched is lost.
      await cache.settled();
      await Promise.all([legacy.pool.close(), store.close(), tracing.shutdown()]);
    },
  };
}
