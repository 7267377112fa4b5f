import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { RedisTopology } from '../config/index.js';
import { createRedisClient, describeRedis, isReadOnly, loggableRedisError, type RedisClient } from './redis-client.js';

/** This many failed commands in a row (timeouts above all: a frozen Redis) make the service stop asking... */
const FAILURES_BEFORE_SKIPPING = 3;
/** ...for this long; then one command probes it, and its success brings Redis back. */
const SKIP_FOR_MS = 5000;

/**
 * The one connection to Redis (one server, the master Sentinel names, or a Cluster: redis-client.ts), shared by the
 * cache, the rate limiter and the refusal limit, and what decides whether to use it. Redis is a help, never a
 * dependency:
 * - while it is unreachable, commands are not even sent (ioredis keeps reconnecting in the background);
 * - when it answers too slowly or fails (a frozen server accepts connections but never answers, so only a
 *   timeout tells), a breaker skips it for a while after a few failures in a row, so that each request does
 *   not pay the timeout again. A new connection (after a restart or a failover) starts with a new breaker: the
 *   failures of the server that went say nothing of the one that answers now.
 * Either way `run` fails with {@link RedisSkipped} at once and the caller falls back (a miss, a local limit).
 * The outage is logged once when it starts and once when it ends, never with a password.
 */
export class RedisLink {
  readonly client: RedisClient;
  private breaker!: CircuitBreakerPolicy;
  private readonly firstConnection: Promise<void>;
  /** Where Redis is, without its password, for logs. */
  private readonly where: string;
  private down = false;
  private closing = false;

  /**
   * @param options.commandTimeoutMs a command that takes longer fails: Redis must never slow a query down much
   * @param options.skipForMs how long Redis is skipped after a few failures (tests shorten it)
   */
  constructor(
    topology: RedisTopology,
    private readonly logger: Logger,
    private readonly options: { commandTimeoutMs: number; skipForMs?: number },
  ) {
    this.where = describeRedis(topology);
    this.renewBreaker();
    this.client = createRedisClient(topology, { commandTimeoutMs: options.commandTimeoutMs });
    this.client.on('error', (error: unknown) => this.markDown(error));
    // A server that dies says nothing: the connection just closes, and the first error only comes with the
    // first failed reconnection. Closing is the outage.
    this.client.on('close', () => this.markDown(new Error('the connection to Redis closed')));
    this.client.on('ready', () => {
      this.renewBreaker();
      this.markUp();
    });
    // ioredis can give a Sentinel connection up for good ('end') in the middle of a failover: while it reconnects to
    // a master that died, the failover detector of its last connection, still subscribed, hears +switch-master and
    // closes the connector; a lookup of the master under way then fails with "Connection is closed." as if `close()`
    // had been called, and ioredis stops reconnecting. Every retry strategy here retries, so an end that `close()`
    // did not ask for is that: start again, and the sentinels name the new master.
    this.client.on('end', () => {
      if (!this.closing) this.client.connect().catch(() => undefined); // a failure is logged through 'error'
    });
    // The service waits for the first connection at start, but not for long, and not at all once it fails.
    this.firstConnection = new Promise<void>((resolve) => {
      this.client.once('ready', resolve);
      this.client.once('error', () => resolve());
      setTimeout(resolve, 2000).unref();
    });
  }

  /** Resolves once connected, or once the first attempt has failed or taken 2 s; never rejects. */
  ready(): Promise<void> {
    return this.firstConnection;
  }

  /**
   * Runs `command` against Redis. Rejects with {@link RedisSkipped} when Redis is unreachable, skipped by
   * the breaker, or the command failed; a rejection that is not an `Error` (a limiter's "no") passes through.
   */
  async run<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') throw new RedisSkipped('Redis is not connected');
    // While one command probes a Redis that failed, the others do not wait for it (cockatiel would make them).
    const breaker = this.breaker;
    if (breaker.state === CircuitState.HalfOpen) throw new RedisSkipped('Redis is skipped for now: a command is probing it');
    try {
      return await breaker.execute(() => command(this.client));
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      // A demoted master: the connection is being replaced (reconnectOnError), and this says why.
      if (isReadOnly(error)) this.markDown(error, 'Redis refused a write: the master was demoted by a failover; reconnecting to the new one');
      throw new RedisSkipped('Redis is skipped for now', { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.disconnect();
  }

  private renewBreaker(): void {
    const breaker = circuitBreaker(handleWhen((error) => error instanceof Error), {
      halfOpenAfter: this.options.skipForMs ?? SKIP_FOR_MS,
      breaker: new ConsecutiveBreaker(FAILURES_BEFORE_SKIPPING),
    });
    // A replaced breaker may still see its last commands end: only the current one speaks.
    breaker.onBreak(() => breaker === this.breaker && this.markDown(new Error(`${FAILURES_BEFORE_SKIPPING} Redis commands in a row failed or took over ${this.options.commandTimeoutMs} ms`)));
    breaker.onReset(() => breaker === this.breaker && this.markUp());
    this.breaker = breaker;
  }

  private markDown(error: unknown, message = 'Redis is unreachable: the shared cache is off and queries go to the upstream until it returns'): void {
    if (this.down || this.closing) return;
    this.down = true;
    // While Redis is out, rate limits are counted per process (see caller-rate-limit.ts).
    this.logger.warn({ err: loggableRedisError(error), redis: this.where }, message);
  }

  private markUp(): void {
    if (!this.down || this.client.status !== 'ready' || this.breaker.state !== CircuitState.Closed) return;
    this.down = false;
    this.logger.info({ redis: this.where }, 'Redis is reachable again: the shared cache is back on');
  }
}

/** Redis was not used: the caller falls back to what works without it. */
export class RedisSkipped extends Error {
  override readonly name = 'RedisSkipped';
}
