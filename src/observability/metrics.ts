import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'ecs_image_graph_';

import type { BackendName } from '../images/backend.js';
import type { AttemptOutcome, CallAvoidedReason, CircuitStateName } from '../images/observer.js';

/** An upstream's calls at one moment: running on a connection, and queued for one. */
export interface UpstreamLoad {
  readonly running: number;
  readonly queued: number;
}

/**
 * The service's own Prometheus metrics, in a registry of their own (no global state: every app instance,
 * and every test, has its registry). The GraphQL-level metrics (operations, durations, errors by code,
 * deprecated field usage) come from Yoga's Prometheus plugin on the same registry (see graphql-metrics.ts).
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly upstreamRequests = new Counter({
    name: `${PREFIX}upstream_requests_total`,
    help: 'Attempts to call an upstream API, by backend (ecs, ims) and outcome: the HTTP status, or timeout / unreachable / cancelled.',
    labelNames: ['backend', 'outcome'],
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    name: `${PREFIX}upstream_request_duration_seconds`,
    help: 'Duration of each attempt to call an upstream API, by backend and outcome.',
    labelNames: ['backend', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: `${PREFIX}upstream_retries_total`,
    help: 'Retries of calls to an upstream API, by backend and the failure that caused them.',
    labelNames: ['backend', 'reason'],
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
    help: 'State of the circuit breaker in front of each upstream API, by backend: 0 closed, 1 half-open, 2 open.',
    labelNames: ['backend'],
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

  private readonly shadowComparisons = new Counter({
    name: `${PREFIX}shadow_comparisons_total`,
    help: 'IMAGE_BACKEND=shadow: comparisons of an ECS answer with IMS, by result: match, mismatch, or ims_error (IMS failed).',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly shadowMismatches = new Counter({
    name: `${PREFIX}shadow_mismatches_total`,
    help: 'IMAGE_BACKEND=shadow: differences found, by field: a typed field (osBit) or a metadata key (metadata.__os_bit).',
    labelNames: ['field'],
    registers: [this.registry],
  });

  private readonly shadowUncarried = new Counter({
    name: `${PREFIX}shadow_uncarried_keys_total`,
    help: 'IMAGE_BACKEND=shadow: user-defined metadata keys ECS answered that IMS has no member for (not differences: IMS keeps tags, not free-form metadata).',
    registers: [this.registry],
  });

  private readonly shadowDrops = new Counter({
    name: `${PREFIX}shadow_dropped_total`,
    help: 'IMAGE_BACKEND=shadow: sampled loads not compared, by reason: concurrency (SHADOW_MAX_CONCURRENCY comparisons were in flight), caller_allowance (the caller was over its allowance of upstream calls, which comparisons spend too).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** What each upstream's connection slots hold now, read at every scrape. */
  private readonly upstreamLoads = new Map<BackendName, () => UpstreamLoad>();

  private readonly upstreamInFlight = new Gauge({
    name: `${PREFIX}upstream_calls_in_flight`,
    help: 'Upstream calls at this moment, by backend and state: running (holding one of the UPSTREAM_MAX_CONNECTIONS connections) or queued (waiting for one). For an I/O-bound service, a better autoscaling signal than CPU.',
    labelNames: ['backend', 'state'],
    registers: [this.registry],
    collect: () => {
      for (const [backend, load] of this.upstreamLoads) {
        const { running, queued } = load();
        this.upstreamInFlight.set({ backend, state: 'running' }, running);
        this.upstreamInFlight.set({ backend, state: 'queued' }, queued);
      }
    },
  });

  private readonly memory = new Gauge({
    name: `${PREFIX}memory_limit_bytes`,
    help: 'What the process was started with, by kind: limit (the memory it may use: its container\'s limit, or the machine\'s), heap (V8\'s heap size limit, --max-old-space-size[-percentage]), cache (the in-memory cache\'s bound, CACHE_MAX_BYTES; 0 with Redis).',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.memory.set({ kind: 'heap' }, getHeapStatistics().heap_size_limit);
    this.retriesOverBudget.inc(0);
    this.staleAnswers.inc(0);
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
  }

  /** The memory the process may use, and the in-memory cache's bound (0 when the cache is in Redis). */
  memoryBudget(limitBytes: number, cacheBytes: number): void {
    this.memory.set({ kind: 'limit' }, limitBytes);
    this.memory.set({ kind: 'cache' }, cacheBytes);
  }

  /** Reports `backend`'s calls in flight at every scrape. */
  watchUpstream(backend: BackendName, load: () => UpstreamLoad): void {
    this.upstreamLoads.set(backend, load);
  }

  upstreamAttempt(backend: BackendName, outcome: AttemptOutcome, seconds: number): void {
    this.upstreamRequests.inc({ backend, outcome });
    this.upstreamDuration.observe({ backend, outcome }, seconds);
  }

  upstreamRetry(backend: BackendName, reason: string): void {
    this.retries.inc({ backend, reason });
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

  circuitState(backend: BackendName, state: CircuitStateName): void {
    this.circuit.set({ backend }, { closed: 0, 'half-open': 1, open: 2 }[state]);
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  coalesced(): void {
    this.coalescedCalls.inc();
  }

  shadowCompared(result: 'match' | 'mismatch' | 'ims_error', mismatchedFields: readonly string[], uncarriedKeys: number): void {
    this.shadowComparisons.inc({ result });
    for (const field of mismatchedFields) this.shadowMismatches.inc({ field });
    if (uncarriedKeys > 0) this.shadowUncarried.inc(uncarriedKeys);
  }

  shadowDropped(reason: 'concurrency' | 'caller_allowance'): void {
    this.shadowDrops.inc({ reason });
  }

  loaderBatch(size: number): void {
    this.batchSize.observe(size);
  }
}
