import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { Pool } from 'undici';
import type { UpstreamConfig } from './config.js';
import type { BackendName, ImageBackend } from './images/backend.js';
import type { Observer, UpstreamTracing } from './images/observer.js';
import { ImsBackend } from './ims/ims-backend.js';
import { EcsBackend } from './legacy/ecs-backend.js';
import { createCircuitBreaker } from './upstream/circuit-breaker.js';
import { UpstreamClient } from './upstream/client.js';
import { RetryBudget } from './upstream/retry-budget.js';

/** One upstream API's long-lived parts: made once at start, closed on shutdown. */
export interface Upstream {
  readonly backend: ImageBackend;
  readonly pool: Pool;
  readonly breaker: CircuitBreakerPolicy;
}

const ADAPTERS: Record<BackendName, (client: UpstreamClient) => ImageBackend> = {
  ecs: (client) => new EcsBackend(client),
  ims: (client) => new ImsBackend(client),
};

/**
 * The backend `name` at `endpoint`, over its own connection pool, circuit breaker and retry budget: one of
 * each per upstream origin, with the same settings. undici's own timeouts are minutes long; the attempt
 * timeout bounds every phase here, and the pool's timeouts are only a backstop at the same length.
 */
export function connectBackend(name: BackendName, endpoint: URL, config: UpstreamConfig, observer: Observer, tracing: UpstreamTracing): Upstream {
  const pool = new Pool(endpoint.origin, {
    connections: config.maxConnections,
    connectTimeout: config.attemptTimeoutMs,
    headersTimeout: config.attemptTimeoutMs,
    bodyTimeout: config.attemptTimeoutMs,
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
    },
    breaker,
  );
  return { backend: ADAPTERS[name](client), pool, breaker };
}

const CIRCUIT_STATES: Partial<Record<CircuitState, 'closed' | 'half-open' | 'open'>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
};
