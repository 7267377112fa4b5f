import { performance } from 'node:perf_hooks';
import type { Sandbox } from '../../src/sandbox/server.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import type { TestApp } from './stack.js';

/**
 * Steady load on two replicas of the service that share a Redis, which tells at every moment whether the cache and
 * the callers' allowances are shared, and counts every operation that failed. For the failover tests
 * (test/redis-ha/): run it, fail Redis over, and read how long sharing was lost and what callers saw meanwhile.
 */

/** Each caller's allowance: 2 calls, no burst, in a window longer than any test, so that every count is exact. */
export const ALLOWANCE = 2;
export const PROBE_RATE = { calls: ALLOWANCE, windowSeconds: 3600, burst: 0, burstWindowSeconds: 3600 };

const P = DOCUMENTED_IMAGE.projectId;

/** One round of the probe: when it started, and whether it found the cache and the allowance shared. */
export interface Round {
  readonly startedAt: number;
  readonly cacheShared: boolean;
  readonly limitShared: boolean;
}

type Answer = 'ok' | 'limited' | 'failed';

export class SharedStateProbe {
  /** Every round, in the order they ended. */
  readonly rounds: Round[] = [];
  /** Every operation that did not answer (an error other than RATE_LIMITED, or no image): what it asked, what it got. */
  readonly failures: string[] = [];
  operations = 0;
  /** When (performance.now()) the hammer was refused, each time. */
  readonly hammerRefusals: number[] = [];
  private nextRound = 0;
  private nextHammerId = 0;
  private hammerLimited = false;
  private stopping = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly checks = new Set<() => void>();

  /** The sandbox must answer every id (`anyImage`); the replicas must have PROBE_RATE as their callers' rate. */
  constructor(
    private readonly replicas: readonly [TestApp, TestApp],
    private readonly sandbox: Sandbox,
  ) {}

  /** Starts `probes` probe loops and one caller who asks for fresh images without end (the hammer). */
  start(probes = 3): void {
    for (let n = 0; n < probes; n += 1) this.loops.push(this.loop(() => this.round()));
    this.loops.push(this.loop(() => this.hammer()));
  }

  /** Stops every loop, and resolves once the rounds under way have ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Resolves once the hammer has been refused: its allowance, shared, is spent. */
  hammerSpent(): Promise<void> {
    return this.when(() => this.hammerLimited);
  }

  /** Resolves once the hammer has been refused `count` times at or after `since` (performance.now()). */
  hammerRefusedSince(count: number, since: number): Promise<void> {
    return this.when(() => this.hammerRefusals.filter((at) => at >= since).length >= count);
  }

  /** Resolves with the first `count` rounds started at or after `since`, once they have ended. */
  async roundsSince(count: number, since: number): Promise<Round[]> {
    const started = () => this.rounds.filter((round) => round.startedAt >= since).sort((a, b) => a.startedAt - b.startedAt);
    await this.when(() => started().length >= count);
    return started().slice(0, count);
  }

  /** Resolves once `count` rounds started at or after `since` (performance.now()) have ended, the last `count` of them shared. */
  sharedFor(count: number, since: number): Promise<void> {
    return this.when(() => {
      const after = this.rounds.filter((round) => round.startedAt >= since).sort((a, b) => a.startedAt - b.startedAt);
      return after.length >= count && after.slice(-count).every((round) => round.cacheShared && round.limitShared);
    });
  }

  /** Upstream calls the hammer caused: its allowance, and what it got past it. */
  hammerCalls(): number {
    return this.sandbox.requests.filter((request) => request.headers['x-auth-token'] === 'hammer').length;
  }

  /**
   * How long after `since` the cache, and the allowances, were shared again: from `since` to the start of the first
   * round after the last one that found it not shared (0 when none did).
   */
  sharedAgainAfter(since: number): { cacheSeconds: number; limitSeconds: number } {
    const after = this.rounds.filter((round) => round.startedAt >= since).sort((a, b) => a.startedAt - b.startedAt);
    const seconds = (shared: (round: Round) => boolean) => {
      const last = after.findLastIndex((round) => !shared(round));
      if (last === -1) return 0;
      const next = after[last + 1];
      return ((next ?? after[last]!).startedAt - since) / 1000;
    };
    return { cacheSeconds: seconds((round) => round.cacheShared), limitSeconds: seconds((round) => round.limitShared) };
  }

  private async loop(step: () => Promise<void>): Promise<void> {
    while (!this.stopping) {
      await step();
      // A step that needs no I/O (the hammer refused by a replica's own count while Redis is away) resolves in
      // microtasks alone: without a turn of the event loop, timers and sockets would never run again.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private when(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.checks.delete(check);
        resolve();
      };
      this.checks.add(check);
      check();
    });
  }

  /**
   * A fresh caller, allowed 2 calls: replica A fetches image 1 (a call) and caches it; B asks for it (no call when the
   * cache is shared), then image 2 (the second call); A asks for image 3, and is refused when the allowance is shared.
   * Any other sequence means the two replicas did not see the same state.
   */
  private async round(): Promise<void> {
    const n = (this.nextRound += 1);
    const token = `probe-${n}`;
    const [a, b] = n % 2 === 0 ? this.replicas : [this.replicas[1], this.replicas[0]];
    const ids = [0, 1, 2].map((m) => imageId(n * 3 + m));
    const startedAt = performance.now();
    await this.ask(a, token, ids[0]!);
    await a.services.cache.settled();
    await this.ask(b, token, ids[0]!);
    await this.ask(b, token, ids[1]!);
    const third = await this.ask(a, token, ids[2]!);
    const calls = this.sandbox.requests.filter((request) => request.headers['x-auth-token'] === token);
    this.rounds.push({
      startedAt,
      cacheShared: calls.filter((request) => request.path.includes(ids[0]!)).length === 1,
      limitShared: calls.length === ALLOWANCE && third === 'limited',
    });
    for (const check of this.checks) check();
  }

  /** One caller asking for a fresh image each time, of each replica in turn: it is refused once its allowance is spent. */
  private async hammer(): Promise<void> {
    const n = (this.nextHammerId += 1);
    const startedAt = performance.now();
    if ((await this.ask(this.replicas[n % 2]!, 'hammer', imageId(1_000_000 + n))) === 'limited') {
      this.hammerLimited = true;
      this.hammerRefusals.push(startedAt);
    }
    for (const check of this.checks) check();
  }

  private async ask(replica: TestApp, token: string, id: string): Promise<Answer> {
    this.operations += 1;
    const { body } = await replica.query(`{ image(projectId: "${P}", id: "${id}") { id } }`, { headers: { 'x-auth-token': token } });
    const code = body.errors?.[0]?.extensions?.['code'];
    if (code === 'RATE_LIMITED') return 'limited';
    if (code === undefined && (body.data?.['image'] as { id?: string } | null)?.id === id) return 'ok';
    this.failures.push(`${token} asked for ${id}: ${JSON.stringify(body)}`);
    return 'failed';
  }
}

const imageId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
