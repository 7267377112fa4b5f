import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { Pool } from 'undici';
import type { UpstreamConfig } from './config.js';
import type { ImageBackend } from './images/backend.js';
import type { Observer, UpstreamTracing } from './images/observer.js';
import { EcsBackend } from './legacy/ecs-backend.js';
import { createCircuitBreaker } from './upstream/circuit-breaker.js';
import { UpstreamClient } from './upstream/client.js';
import { RetryBudget } from './upstream/retry-budget.js';

/** The long-lived upstream parts: made once at start, closed on shutdown. */
export interface LegacyApi {
  readonly backend: ImageBackend;
  readonly pool: Pool;
  readonly breaker: CircuitBreakerPolicy;
}

/**
 * The one connection pool and circuit breaker for the legacy API's origin, and the ECS backend over them.
 * undici's own timeouts are minutes long; the attempt timeout bounds every phase here, and the pool's
 * timeouts are only a backstop at the same length.
 */
export function connectLegacyApi(endpoint: URL, config: UpstreamConfig, observer: Observer, tracing: UpstreamTracing): LegacyApi {
  const pool = new Pool(endpoint.origin, {
    connections: config.maxConnections,
    connectTimeout: config.attemptTimeoutMs,
    headersTimeout: config.attemptTimeoutMs,
    bodyTimeout: config.attemptTimeoutMs,
    keepAliveTimeout: 4_000,
  });
  const breaker = createCircuitBreaker(config.circuit);
  breaker.onStateChange((state) => observer.circuit(CIRCUIT_STATES[state] ?? 'closed'));
  const client = new UpstreamClient(
    pool,
    endpoint,
    {
      api: 'the legacy API',
      maxConnections: config.maxConnections,
      attemptTimeoutMs: config.attemptTimeoutMs,
      retry: { retries: config.retries, baseDelayMs: config.retryBaseDelayMs, maxDelayMs: config.retryMaxDelayMs },
      retryBudget: new RetryBudget(config.retryBudget),
      observer,
      tracing,
    },
    breaker,
  );
  return { backend: new EcsBackend(client), pool, breaker };
}

const CIRCUIT_STATES: Partial<Record<CircuitState, 'closed' | 'half-open' | 'open'>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
};
