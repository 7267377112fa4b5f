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
import { connectBackend, type Upstream } from './backends.js';
import type { ImageBackend } from './images/backend.js';
import { ShadowBackend } from './images/shadow-backend.js';
import { createSchema } from './graphql/schema/index.js';
import { typedReading } from './graphql/schema/typed-reading.js';
import { isMetadataMember } from './ims/image-info.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { createObserver } from './observability/observer.js';
import { createTracing, type Tracing } from './observability/tracing.js';

/** The long-lived parts of the service, made once at start from the config and closed on shutdown. */
export interface Services {
  readonly appDeps: AppDeps;
  /** The connection of the backend that answers: ECS, or IMS with IMAGE_BACKEND=ims. */
  readonly upstream: Upstream;
  /** With IMAGE_BACKEND=shadow, the comparisons with IMS. */
  readonly shadow: ShadowBackend | undefined;
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

/** Where each API is: the configured endpoints, or the built-in sandbox, which serves both. */
export interface Endpoints {
  readonly ecs: URL;
  readonly ims: URL;
}

export function createServices(config: Config, endpoints: Endpoints, options: ServiceOptions): Services {
  const metrics = new Metrics();
  const observer = createObserver(metrics, options.logger);
  const tracing = createTracing({ endpoint: config.telemetry.otlpEndpoint, serviceName: config.telemetry.serviceName });
  const answering = config.backend.kind === 'ims' ? 'ims' : 'ecs';
  const upstream = connectBackend(answering, endpoints[answering], config.upstream, observer, tracing);
  const ims = config.backend.kind === 'shadow' ? connectBackend('ims', endpoints.ims, config.upstream, observer, tracing) : undefined;
  const shadow = ims
    ? new ShadowBackend(
        upstream.backend,
        ims.backend,
        typedReading(createSchema({ imagesMaxIds: config.limits.imagesMaxIds })),
        { ...config.backend.shadow, timeoutMs: config.limits.deadlineMs, carries: isMetadataMember },
        observer,
      )
    : undefined;
  const backend: ImageBackend = shadow ?? upstream.backend;
  const redis = config.cache.redisUrl ? new RedisLink(config.cache.redisUrl, options.logger) : undefined;
  const store = redis ? createRedisStore(redis) : createMemoryStore(config.cache.maxBytes);
  const cache = new ImageCache(store, { ...config.cache, refusalTtlMs: config.upstream.authFailureTtlMs, backend: backend.name });
  const coalescer = new Coalescer<Fetched>();
  const source = new ImageSource(backend, cache, coalescer, createCallerRateLimit(config.upstream.callerRate, redis), observer);
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
      deprecation: config.deprecation,
      isReady: () => ready,
      // Only a service that answers every caller alike (its own key, no caller check) may be cached publicly.
      cacheVisibility: config.auth.mode === 'service' && config.auth.callers.kind === 'network' ? 'public' : 'private',
    },
    upstream,
    shadow,
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
      await Promise.all([cache.settled(), shadow?.settled()]);
      await Promise.all([upstream.pool.close(), ims?.pool.close(), store.close(), tracing.shutdown()]);
    },
  };
}
