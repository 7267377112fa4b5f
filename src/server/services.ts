import { CircuitState } from 'cockatiel';
import { Pool } from 'undici';
import { createAccess } from '../callers/access.js';
import { memoryLimitBytes, type Config, type UpstreamConfig } from '../config/index.js';
import { EcsBackend } from '../ecs/ecs-backend.js';
import type { AppDeps } from '../graphql/app.js';
import { createSchema } from '../graphql/schema/index.js';
import { typedReading } from '../graphql/schema/typed-reading.js';
import type { BackendName, ImageBackend } from '../images/backend.js';
import { Coalescer } from '../images/cache/coalescer.js';
import { ImageCache } from '../images/cache/image-cache.js';
import { ImageSource, type Fetched } from '../images/image-source.js';
import type { Observer } from '../images/observer.js';
import { ShadowBackend } from '../images/shadow-backend.js';
import { isMetadataMember } from '../ims/image-info.js';
import { ImsBackend } from '../ims/ims-backend.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { createObserver } from '../observability/observer.js';
import { createTracing, type Tracing } from '../observability/tracing.js';
import { createCallerRateLimit } from '../stores/caller-rate-limit.js';
import { createMemoryStore } from '../stores/memory-store.js';
import { RedisLink } from '../stores/redis-link.js';
import { createRedisStore } from '../stores/redis-store.js';
import { createRefusalLimit } from '../stores/refusal-limit.js';
import { createCircuitBreaker } from '../upstream/circuit-breaker.js';
import { UpstreamClient } from '../upstream/client.js';
import { RetryBudget } from '../upstream/retry-budget.js';
import { NONE_OFF, type Feature, type FeaturesOff } from '../config/bench-switches.js';

/**
 * The composition root: every long-lived part of the service, made once at start from the config, wired
 * together, and closed on shutdown. Nothing else constructs these; tests call it with their own config.
 */
export interface Services {
  readonly appDeps: AppDeps;
  /** The connection of the backend that answers: ECS, or IMS with IMAGE_BACKEND=ims. */
  readonly upstream: Upstream;
  /** With IMAGE_BACKEND=shadow, the comparisons with IMS. */
  readonly shadow: ShadowBackend | undefined;
  readonly cache: ImageCache;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  /** Resolves once the cache store is connected (or has given up trying, for now). */
  ready(): Promise<void>;
  /** From now on /readyz answers 503. */
  stopBeingReady(): void;
  /** Closes the pools, the cache (Redis) and the trace exporter, flushing what they hold. */
  close(): Promise<void>;
}

/** Where the upstream APIs are (the configured endpoints, or the built-in sandbox: see endpoints.ts). */
export interface Endpoints {
  /** The API that answers: ECS, or IMS with IMAGE_BACKEND=ims. */
  readonly primary: URL;
  /** IMS, with IMAGE_BACKEND=shadow: compared with ECS. */
  readonly shadow: URL | undefined;
}

export interface ServiceOptions {
  readonly logger: Logger;
  /** Whether a passthrough caller must bring a token (false only for the built-in sandbox). */
  readonly tokenRequired: boolean;
  readonly trustedDocuments?: ReadonlyMap<string, string> | undefined;
  /** For the benchmark's ablation only (config/bench-switches.ts): features turned off. */
  readonly off?: FeaturesOff;
}

/** One upstream API's long-lived parts: made once at start, closed on shutdown. */
export interface Upstream {
  readonly backend: ImageBackend;
  readonly pool: Pool;
}

export function createServices(config: Config, endpoints: Endpoints, options: ServiceOptions): Services {
  const off = options.off ?? NONE_OFF;
  const metrics = new Metrics();
  const observer = off.has('metrics') ? withoutMetrics(createObserver(metrics, options.logger)) : createObserver(metrics, options.logger);
  const tracing = createTracing({ endpoint: config.telemetry.otlpEndpoint, serviceName: config.telemetry.serviceName });
  const redis = config.redis.topology ? new RedisLink(config.redis.topology, options.logger, { commandTimeoutMs: config.redis.commandTimeoutMs }) : undefined;
  // Every upstream call a caller causes spends its allowance: the answering backend's, and shadow mode's comparisons.
  const allowance = createCallerRateLimit(off.has('rate-limit') ? { ...config.callers.rate, calls: 0 } : config.callers.rate, redis);
  const upstream = connectBackend(config.backend.kind === 'ims' ? 'ims' : 'ecs', endpoints.primary, config.upstream, observer, tracing, metrics, off);
  const ims = endpoints.shadow && connectBackend('ims', endpoints.shadow, config.upstream, observer, tracing, metrics, off);
  const shadow = ims
    ? new ShadowBackend(
        upstream.backend,
        ims.backend,
        typedReading(createSchema({ imagesMaxIds: config.limits.imagesMaxIds })),
        { ...config.backend.shadow, timeoutMs: config.limits.deadlineMs, carries: isMetadataMember, allowance },
        observer,
      )
    : undefined;
  const backend: ImageBackend = shadow ?? upstream.backend;
  const store = redis ? createRedisStore(redis) : createMemoryStore(config.cache.maxBytes);
  metrics.memoryBudget(memoryLimitBytes(), redis ? 0 : config.cache.maxBytes);
  const cache = new ImageCache(store, { ...config.cache, refusalTtlMs: config.callers.refusalTtlMs, backend: backend.name });
  const coalescer = new Coalescer<Fetched>();
  const source = new ImageSource({
    backend,
    cache,
    coalescer,
    allowance,
    refusals: createRefusalLimit(config.callers.refusalsPerAddressPerMinute, redis),
    observer,
    coalesce: !off.has('coalescer'),
  });
  const access = createAccess(config.callers.auth, { tokenRequired: options.tokenRequired, tokenScope: (token) => cache.tokenScope(token), logger: options.logger });
  let ready = true;
  return {
    appDeps: {
      source,
      access,
      limits: config.limits,
      observer,
      logger: options.logger,
      metrics,
      serveMetrics: config.telemetry.metricsPort === undefined,
      tracing,
      server: { ...config.server, trustedDocuments: options.trustedDocuments },
      deprecation: config.backend.deprecation,
      isReady: () => ready,
      // Only a service that answers every caller alike (its own key, no caller check) may be cached publicly.
      cacheVisibility: config.callers.auth.mode === 'service' && config.callers.auth.callers.kind === 'network' ? 'public' : 'private',
      off,
    },
    upstream,
    shadow,
    cache,
    metrics,
    tracing,
    ready: () => store.ready(),
    stopBeingReady() {
      ready = false;
    },
    async close() {
      // The connections are closed by now; calls kept for their answer alone (unproven credentials) end here.
      source.abandonCalls();
      // Cache writes still under way are made before Redis is closed: nothing fetched is lost.
      await Promise.all([cache.settled(), shadow?.settled()]);
      await Promise.all([upstream.pool.close(), ims?.pool.close(), store.close(), tracing.shutdown()]);
    },
  };
}

const ADAPTERS: Record<BackendName, (client: UpstreamClient, off: FeaturesOff) => ImageBackend> = {
  ecs: (client, off) => new EcsBackend(client, { keepOrder: !off.has('body-parser') }),
  ims: (client) => new ImsBackend(client),
};

/**
 * The backend `name` at `endpoint`, over its own connection pool, circuit breaker and retry budget: one of
 * each per upstream origin, with the same settings. undici's own timeouts are minutes long; the attempt
 * timeout bounds every phase here, and the pool's timeouts are only a backstop at the same length.
 */
function connectBackend(name: BackendName, endpoint: URL, config: UpstreamConfig, observer: Observer, tracing: Tracing, metrics: Metrics, off: FeaturesOff): Upstream {
  const pool = new Pool(endpoint.origin, {
    connections: config.maxConnections,
    connectTimeout: config.attemptTimeoutMs,
    headersTimeout: config.attemptTimeoutMs,
    bodyTimeout: config.attemptTimeoutMs,
    // undici's own default, used only when the upstream sends no `Keep-Alive: timeout=` hint (with one, undici
    // keeps a socket 2 s less than the hint): a reused socket the upstream already closed fails as a retried attempt.
    keepAliveTimeout: 4_000,
  });
  const breaker = createCircuitBreaker(config.circuit);
  observer.circuit('closed', name);
  breaker.onStateChange((state) => observer.circuit(CIRCUIT_STATES[state] ?? 'closed', name));
  const client = new UpstreamClient(
    pool,
    endpoint,
    {
      backend: name,
      maxConnections: config.maxConnections,
      attemptTimeoutMs: config.attemptTimeoutMs,
      retry: { retries: config.retries, baseDelayMs: config.retryBaseDelayMs, maxDelayMs: config.retryMaxDelayMs },
      retryBudget: new RetryBudget(config.retryBudget),
      observer,
      tracing,
      ...(['retries', 'breaker', 'concurrency-caps'].some((feature) => off.has(feature as Feature)) && {
        bypass: { retries: off.has('retries'), breaker: off.has('breaker'), slots: off.has('concurrency-caps') },
      }),
    },
    breaker,
  );
  metrics.watchUpstream(name, () => client.load());
  return { backend: ADAPTERS[name](client, off), pool };
}

const CIRCUIT_STATES: Partial<Record<CircuitState, 'closed' | 'half-open' | 'open'>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
};

/** For the benchmark's ablation of metrics: `observer` with its metrics left out: only its log lines (of failures) are kept. */
export function withoutMetrics<O extends Observer>(observer: O): O {
  const none = () => undefined;
  return {
    ...observer,
    attempt: (event) => event.error && observer.attempt(event),
    retry: none,
    retryOverBudget: none,
    callAvoided: none,
    staleAnswer: none,
    cacheLookup: none,
    coalesced: none,
    loaderBatch: none,
  };
}
