import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from 'pino';

/** How the key set is fetched and kept. Every figure has a default; tests shorten them. */
export interface KeySetTiming {
  /** Longest one fetch may take, headers and body. */
  readonly fetchTimeoutMs: number;
  /** Longest a request waits for a fetch when no usable key is known; past it the request fails, and the fetch goes on. */
  readonly waitMs: number;
  /** Keys older than this are refreshed, in the background: requests keep being verified with them meanwhile. */
  readonly maxAgeMs: number;
  /** A token naming a key the set lacks may cause a refresh at most this often (a rotation), not once per token. */
  readonly unknownKeyCooldownMs: number;
  /** After a failed fetch, the next waits this long, doubling with each failure in a row, up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const KEY_SET_TIMING: KeySetTiming = {
  fetchTimeoutMs: 3000,
  waitMs: 800,
  maxAgeMs: 10 * 60_000,
  unknownKeyCooldownMs: 30_000,
  backoffMs: 5000,
  maxBackoffMs: 5 * 60_000,
};

/** A key set this big is not a key set. */
const MAX_BODY_BYTES = 512 * 1024;

/**
 * No key can be had to check a JWT: the key set has never been fetched, and the identity provider does not answer
 * now. Neither the caller's fault nor a verdict on its token. (A token naming a key the set lacks, while keys are
 * held, is checked against those: refused as UNAUTHENTICATED if the provider cannot be asked for new ones.)
 */
export class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
  constructor(
    message: string,
    /** When the key set is asked for again. */
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

interface Fetched {
  readonly keys: JWTVerifyGetKey;
  readonly at: number;
}

/**
 * The JSON Web Key Set that signs callers' JWTs, kept so that the identity provider's trouble stays its own:
 * - tokens are verified with the keys last fetched, however old, for as long as a refresh fails: an outage of
 *   the key set's host changes nothing for callers whose keys are known;
 * - a refresh runs in the background, one at a time (every request that needs it shares it); after a failure the
 *   next fetch waits a backoff that doubles up to `maxBackoffMs`, so a failing host sees one fetch per backoff,
 *   not one per request;
 * - a request waits for a fetch only when no usable key is known, and at most `waitMs`; then it fails with
 *   {@link KeySetUnavailable} and the fetch goes on for the next ones.
 *
 * jose's createRemoteJWKSet does not do this: past its cache age it fetches in the request's path and fails the
 * request when the fetch fails, with every request fetching again.
 */
export class KeySet {
  private fetched: Fetched | undefined;
  private refreshing: Promise<Fetched> | undefined;
  /** No fetch starts before this (epoch ms): the backoff after failures. */
  private backoffUntil = 0;
  private failures = 0;

  constructor(
    private readonly url: URL,
    /** Told of each failed fetch and of the recovery: the operator's only sign that callers may soon be refused. */
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly timing: KeySetTiming = KEY_SET_TIMING,
    private readonly now: () => number = Date.now,
  ) {}

  /** jose's key lookup (`jwtVerify(token, keySet.getKey, ...)`). */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const fetched = this.fetched;
    if (!fetched) return (await this.awaitRefresh()).keys(header, token);
    if (this.now() - fetched.at > this.timing.maxAgeMs) void this.refresh().catch(() => undefined);
    try {
      return await fetched.keys(header, token);
    } catch (error) {
      // A key the set lacks: perhaps the provider rotated its keys. Ask again, but not for every such token; if the
      // set cannot be had now, the token stays refused by the keys known.
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || this.now() - fetched.at < this.timing.unknownKeyCooldownMs || !this.mayFetch()) throw error;
      const refreshed = await this.awaitRefresh().catch(() => undefined);
      if (!refreshed) throw error;
      return refreshed.keys(header, token);
    }
  };

  /** Resolves once no fetch is under way, whatever its outcome. */
  async settled(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
  }

  /** The refresh under way or a new one, waited for at most `waitMs`; a KeySetUnavailable when none comes in time. */
  private async awaitRefresh(): Promise<Fetched> {
    const waiting = new AbortController();
    const giveUp = sleep(this.timing.waitMs, undefined, { signal: waiting.signal }).catch(() => undefined);
    const fetched = await Promise.race([this.refresh().catch(() => undefined), giveUp]);
    waiting.abort();
    if (fetched) return fetched;
    throw new KeySetUnavailable('No key can be had to check the JWT: the key set that signs them (JWT_JWKS_URL) cannot be fetched now.', Math.max(0, this.backoffUntil - this.now()));
  }

  /** Whether a fetch is under way or may start now (not during a backoff). */
  private mayFetch(): boolean {
    return this.refreshing !== undefined || this.now() >= this.backoffUntil;
  }

  /** One fetch at a time, and none during a backoff or a cooldown (then the one under way, or a rejection). */
  private refresh(): Promise<Fetched> {
    if (this.refreshing) return this.refreshing;
    if (!this.mayFetch()) return Promise.reject(new Error('the key set is not fetched again yet'));
    this.refreshing = this.fetch()
      .then((keys) => {
        if (this.failures > 0) this.log.info({ jwksUrl: this.url.href, failedFetches: this.failures }, 'the JWT key set is fetched again');
        this.failures = 0;
        this.fetched = { keys, at: this.now() };
        return this.fetched;
      })
      .catch((error: unknown) => {
        this.failures += 1;
        const backoffMs = Math.min(this.timing.backoffMs * 2 ** (this.failures - 1), this.timing.maxBackoffMs);
        this.backoffUntil = this.now() + backoffMs;
        this.log.warn(
          { jwksUrl: this.url.href, cause: causeOf(error), failedFetches: this.failures, keysHeldSince: this.fetched && new Date(this.fetched.at).toISOString(), nextFetchInMs: backoffMs },
          this.fetched ? 'the JWT key set could not be refreshed: tokens are checked with the keys held' : 'the JWT key set could not be fetched: JWTs cannot be checked until it is',
        );
        throw error;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetch(): Promise<JWTVerifyGetKey> {
    const response = await request(this.url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.timing.fetchTimeoutMs),
      headersTimeout: this.timing.fetchTimeoutMs,
      bodyTimeout: this.timing.fetchTimeoutMs,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`the key set answered HTTP ${response.statusCode}`);
    }
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.body.destroy();
        throw new Error('the key set is larger than 512 KiB');
      }
      chunks.push(chunk);
    }
    const jwks = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet;
    // createLocalJWKSet checks the shape (a `keys` list) and throws when it is not a key set.
    return createLocalJWKSet(jwks);
  }
}

/** The root of a failed fetch, as an operator reads it (ECONNREFUSED, a timeout, the HTTP status). */
function causeOf(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  if (!(root instanceof Error)) return String(root);
  const code: unknown = (root as NodeJS.ErrnoException).code;
  return typeof code === 'string' && !root.message.includes(code) ? `${code}: ${root.message}` : root.message;
}
