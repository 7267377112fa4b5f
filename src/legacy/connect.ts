import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { Pool } from 'undici';
import type { UpstreamConfig } from '../config.js';
import type { Observer } from '../observability/observer.js';
import type { Tracing } from '../observability/tracing.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { LegacyClient } from './client.js';
import { RetryBudget } from './retry-budget.js';

/** The long-lived upstream parts: made once at start, closed on shutdown. */
export interface LegacyApi {
  readonly client: LegacyClient;
  readonly pool: Pool;
  readonly breaker: CircuitBreakerPolicy;
}

/**
 * The one connection pool and circuit breaker for the legacy API's origin, and the client over them.
 * undici's own timeouts are minutes long; the attempt timeout bounds every phase here, and the pool's
 * timeouts are only a backstop at the same length.
 */
export function connectLegacyApi(endpoint: URL, config: UpstreamConfig, observer: Observer, tracing: Pick<Tracing, 'enabled' | 'startUpstreamCall'>): LegacyApi {
  const pool = new Pool(endpoint.origin, {
    connections: config.maxConnections,
    connectTimeout: config.attemptTimeoutMs,
    headersTimeout: config.attemptTimeoutMs,
    bodyTimeout: config.attemptTimeoutMs,
    keepAliveTimeout: 4_000,
  });
  const breaker = createCircuitBreaker(config.circuit);
  breaker.onStateChange((state) => observer.circuit(CIRCUIT_STATES[state] ?? 'closed'));
  const client = new LegacyClient(
    pool,
    endpoint,
    {
      maxConnections: config.maxConnections,
      attemptTimeoutMs: config.attemptTimeoutMs,
      retry: { retries: config.retries, baseDelayMs: config.retryBaseDelayMs, maxDelayMs: config.retryMaxDelayMs },
      retryBudget: new RetryBudget(config.retryBudget),
      observer,
      tracing,
    },
    breaker,
  );
  return { client, pool, breaker };
}

const CIRCUIT_STATES: Partial<Record<CircuitState, 'closed' | 'half-open' | 'open'>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
};
