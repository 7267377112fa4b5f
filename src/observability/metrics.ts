import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'ecs_image_graph_';

import type { AttemptOutcome, CallAvoidedReason, CircuitStateName } from '../images/observer.js';

/**
 * The service's own Prometheus metrics, in a registry of their own (no global state: every app instance,
 * and every test, has its registry). The GraphQL-level metrics (operations, durations, errors by code,
 * deprecated field usage) come from Yoga's Prometheus plugin on the same registry (see graphql-metrics.ts).
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly upstreamRequests = new Counter({
    name: `${PREFIX}upstream_requests_total`,
    help: 'Attempts to call the legacy API, by outcome: the HTTP status, or timeout / unreachable / cancelled.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    name: `${PREFIX}upstream_request_duration_seconds`,
    help: 'Duration of each attempt to call the legacy API, by outcome.',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: `${PREFIX}upstream_retries_total`,
    help: 'Retries of calls to the legacy API, by the failure that caused them.',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  private readonly retriesOverBudget = new Counter({
    name: `${PREFIX}upstream_retries_over_budget_total`,
    help: 'Retries not made because retries already added their share of recent calls (UPSTREAM_RETRY_BUDGET_PERCENT).',
    registers: [this.registry],
  });

  private readonly callsAvoided = new Counter({
    name: `${PREFIX}upstream_calls_avoided_total`,
    help: 'Upstream calls not made to protect the quota, by reason: caller_rate_limit (the caller is over its rate), refused_credential (the upstream refused this credential moments ago).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  private readonly staleAnswers = new Counter({
    name: `${PREFIX}stale_answers_total`,
    help: 'Images answered from an expired cache entry because the upstream failed (CACHE_STALE_IF_ERROR_SECONDS).',
    registers: [this.registry],
  });

  private readonly circuit = new Gauge({
    name: `${PREFIX}upstream_circuit_state`,
    help: 'State of the circuit breaker in front of the legacy API: 0 closed, 1 half-open, 2 open.',
    registers: [this.registry],
  });

  private readonly cacheLookups = new Counter({
    name: `${PREFIX}cache_lookups_total`,
    help: 'Cache lookups for image metadata, by result (hit or miss).',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly coalescedCalls = new Counter({
    name: `${PREFIX}coalesced_calls_total`,
    help: 'Lookups that joined an identical upstream call already in flight instead of making their own.',
    registers: [this.registry],
  });

  private readonly batchSize = new Histogram({
    name: `${PREFIX}loader_batch_size`,
    help: 'Images per DataLoader batch (distinct images one operation asked for at once).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.circuit.set(0);
    this.retriesOverBudget.inc(0);
    this.staleAnswers.inc(0);
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
  }

  upstreamAttempt(outcome: AttemptOutcome, seconds: number): void {
    this.upstreamRequests.inc({ outcome });
    this.upstreamDuration.observe({ outcome }, seconds);
  }

  upstreamRetry(reason: string): void {
    this.retries.inc({ reason });
  }

  retryOverBudget(): void {
    this.retriesOverBudget.inc();
  }

  callAvoided(reason: CallAvoidedReason): void {
    this.callsAvoided.inc({ reason });
  }

  staleAnswer(): void {
    this.staleAnswers.inc();
  }

  circuitState(state: CircuitStateName): void {
    this.circuit.set({ closed: 0, 'half-open': 1, open: 2 }[state]);
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  coalesced(): void {
    this.coalescedCalls.inc();
  }

  loaderBatch(size: number): void {
    this.batchSize.observe(size);
  }
}
