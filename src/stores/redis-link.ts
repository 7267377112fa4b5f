import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** This many failed commands in a row (timeouts above all: a frozen Redis) make the service stop asking... */
const FAILURES_BEFORE_SKIPPING = 3;
/** ...for this long; then one command probes it, and its success brings Redis back. */
const SKIP_FOR_MS = 5000;

/**
 * The one connection to Redis, shared by the cache and the rate limiter, and what decides whether to use
 * it. Redis is a help, never a dependency:
 * - while it is unreachable, commands are not even sent (ioredis keeps reconnecting in the background);
 * - when it answers too slowly or fails (a frozen server accepts connections but never answers, so only a
 *   timeout tells), a breaker skips it for a while after a few failures in a row, so that each request does
 *   not pay the timeout again.
 * Either way `run` fails with {@link RedisSkipped} at once and the caller falls back (a miss, a local limit).
 * The outage is logged once when it starts and once when it ends.
 */
export class RedisLink {
  readonly client: Redis;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly firstConnection: Promise<void>;
  /** The URL without its password, for logs. */
  private readonly where: string;
  private down = false;
  private closing = false;

  /**
   * @param options.commandTimeoutMs a command that takes longer fails: Redis must never slow a query down much
   * @param options.skipForMs how long Redis is skipped after a few failures (tests shorten it)
   */
  constructor(
    url: string,
    private readonly logger: Logger,
    options: { commandTimeoutMs: number; skipForMs?: number },
  ) {
    this.breaker = circuitBreaker(handleWhen((error) => error instanceof Error), {
      halfOpenAfter: options.skipForMs ?? SKIP_FOR_MS,
      breaker: new ConsecutiveBreaker(FAILURES_BEFORE_SKIPPING),
    });
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    this.where = parsed.href;
    this.client = new Redis(url, {
      // Fail at once while disconnected, instead of queueing commands until Redis returns.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', (error) => this.markDown(error));
    // A server that dies says nothing: the connection just closes, and the first error only comes with the
    // first failed reconnection. Closing is the outage.
    this.client.on('close', () => this.markDown(new Error('the connection to Redis closed')));
    this.client.on('ready', () => this.markUp());
    this.breaker.onBreak(() => this.markDown(new Error(`${FAILURES_BEFORE_SKIPPING} Redis commands in a row failed or took over ${options.commandTimeoutMs} ms`)));
    this.breaker.onReset(() => this.markUp());
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
  async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') throw new RedisSkipped('Redis is not connected');
    // While one command probes a Redis that failed, the others do not wait for it (cockatiel would make them).
    if (this.breaker.state === CircuitState.HalfOpen) throw new RedisSkipped('Redis is skipped for now: a command is probing it');
    try {
      return await this.breaker.execute(() => command(this.client));
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      throw new RedisSkipped('Redis is skipped for now', { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.disconnect();
  }

  private markDown(error: unknown): void {
    if (this.down || this.closing) return;
    this.down = true;
    // While Redis is out, rate limits are counted per process (see caller-rate-limit.ts).
    this.logger.warn({ err: error, redis: this.where }, 'Redis is unreachable: the shared cache is off and queries go to the upstream until it returns');
  }

  private markUp(): void {
    if (!this.down || this.client.status !== 'ready') return;
    this.down = false;
    this.logger.info({ redis: this.where }, 'Redis is reachable again: the shared cache is back on');
  }
}

/** Redis was not used: the caller falls back to what works without it. */
export class RedisSkipped extends Error {
  override readonly name = 'RedisSkipped';
}
