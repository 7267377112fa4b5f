import { LRUCache } from 'lru-cache';
import type { Coalescer } from './cache/coalescer.js';
import type { CachedAnswer, ImageCache } from './cache/image-cache.js';
import { API_NAMES, type ImageBackend, type OperationScope } from './backend.js';
import { abortReason, capitalised, errorFromException, UpstreamError } from './upstream-error.js';
import type { ImageMetadata } from './image-metadata.js';
import type { ImageRef } from './image-ref.js';
import type { Caller } from './caller.js';
import type { Observer } from './observer.js';

export type { Caller };

/**
 * The caller-allowance port: spends one upstream call of a caller's allowance. @returns `undefined` when the
 * call may be made, else how long (ms) until the caller may call again. (stores/caller-rate-limit.ts)
 */
export type CallerRateLimit = (callerKey: string) => Promise<number | undefined>;

/**
 * The refusal-limit port: upstream refusals (401, 403) counted per client address, so that one address sending a
 * new junk token with every request cannot make the upstream refuse (and throttle this service's own address)
 * without end. A call with a credential not seen working is admitted before it is made, and settled with its
 * outcome once known. (stores/refusal-limit.ts)
 */
export interface RefusalLimit {
  /**
   * Admits a call with an unproven credential from `address`, once the calls in flight leave room for it (it
   * waits until then, or until `signal` fires): a ticket to settle, or how long (ms) the address is refused for.
   */
  admit(address: string, signal: AbortSignal): Promise<RefusalTicket | { readonly blockedMs: number }>;
}

/** An admitted call, settled once with its outcome (only the first settle counts). */
export interface RefusalTicket {
  /** @param refused the upstream refused it (401, 403) */
  settle(refused: boolean): Promise<void>;
}

/** An image's metadata (`null`: it does not exist), and where it came from. */
export interface Fetched {
  readonly metadata: ImageMetadata | null;
  /** `upstream`: this request made the call; `shared`: it joined another request's call. */
  readonly source: 'cache' | 'upstream' | 'shared' | 'stale';
  /** How long the answer stays fresh in the cache (0: not cached, or stale). */
  readonly freshForMs: number;
  /** For a stale answer, its age. */
  readonly staleAgeMs?: number;
}

/**
 * Where an image's metadata comes from, cheapest first: the cache (for this caller's scope only), a call
 * already in flight for the same caller and image (shared across requests), else a new upstream call,
 * whose answer is cached without holding the response.
 *
 * And what protects the upstream quota: a credential the upstream refused moments ago is not sent again;
 * each caller spends its own rate of calls; and when the upstream fails, an expired answer still in the
 * cache is given instead of an error (never after a 401 or 403).
 */
export class ImageSource {
  private readonly backend: ImageBackend;
  private readonly cache: ImageCache;
  private readonly coalescer: Coalescer<Fetched>;
  private readonly allowance: CallerRateLimit;
  private readonly refusals: RefusalLimit;
  private readonly observer: Pick<Observer, 'cacheLookup' | 'coalesced' | 'callAvoided' | 'staleAnswer'>;
  /**
   * Scopes (credentials) the upstream answered lately, here or, through the cache, on another replica: a refusal
   * limit on an address never stops them, only credentials it has not seen work.
   */
  private readonly proven = new LRUCache<string, true>({ max: 10_000, ttl: 10 * 60_000 });
  /** Aborted when the service stops. */
  private readonly stopping = new AbortController();
  /** False for the benchmark's ablation only: every request makes its own call. */
  private readonly coalesce: boolean;

  constructor(parts: {
    backend: ImageBackend;
    cache: ImageCache;
    coalescer: Coalescer<Fetched>;
    /** Each caller's allowance of upstream calls. */
    allowance: CallerRateLimit;
    /** Upstream refusals per client address. */
    refusals: RefusalLimit;
    observer: Pick<Observer, 'cacheLookup' | 'coalesced' | 'callAvoided' | 'staleAnswer'>;
    coalesce?: boolean;
  }) {
    ({ backend: this.backend, cache: this.cache, coalescer: this.coalescer, allowance: this.allowance, refusals: this.refusals, observer: this.observer } = parts);
    this.coalesce = parts.coalesce ?? true;
  }

  /** Aborts the calls that outlive their callers (those with unproven credentials): the service is stopping. */
  abandonCalls(): void {
    this.stopping.abort(new Error('the service is stopping'));
  }

  /** Whether the upstream answered `caller`'s credential lately (here, or through the cache on another replica). */
  accepted(caller: Caller): boolean {
    return this.proven.has(caller.scope);
  }

  /** How messages name the API that answers. */
  private get api(): string {
    return API_NAMES[this.backend.name];
  }

  /** @param onCall told when this request starts an upstream call (not when it joins one, or reads the cache) */
  async fetch(ref: ImageRef, caller: Caller, scope: OperationScope, onCall: () => void = () => undefined): Promise<Fetched> {
    const { refused, answer } = await this.cache.lookup(caller.scope, ref);
    if (refused) {
      this.observer.callAvoided('refused_credential');
      throw refusedAgain(refused, this.api);
    }
    const fresh = answer !== undefined && answer.freshForMs > 0;
    this.observer.cacheLookup(fresh);
    if (answer) this.proven.set(caller.scope, true);
    if (fresh) return { metadata: answer.metadata, source: 'cache', freshForMs: answer.freshForMs };

    const key = this.cache.key(caller.scope, ref);
    let joining = this.coalesce && this.coalescer.waiters(key) > 0;
    /** This request's admission on its address's refusal limit, settled by the call it makes, or here if it makes none. */
    let ticket: RefusalTicket | undefined;
    if (!joining) {
      // A credential not seen working, from an address whose credentials the upstream keeps refusing, is not sent.
      if (!this.proven.has(caller.scope) && scope.clientAddress !== undefined) {
        // It may wait for room among the address's calls in flight, until this caller's deadline at the most.
        const admitted = await this.refusals.admit(scope.clientAddress, scope.signal).catch((error: unknown) => {
          throw errorFromException(error, abortReason(scope.signal), this.api);
        });
        if ('blockedMs' in admitted) {
          this.observer.callAvoided('refused_address');
          throw new UpstreamError('rate_limited', `${capitalised(this.api)} refused too many credentials from this address lately; a new one is not sent for a while.`, { retryAfterMs: admitted.blockedMs });
        }
        ticket = admitted;
      }
      // Who starts a call spends its own allowance; who joins a call in flight spends none, and is never refused
      // because another caller of the same scope (every caller, in service mode) is over its rate.
      const waitMs = await this.allowance(caller.rateKey);
      if (waitMs !== undefined) {
        await ticket?.settle(false);
        this.observer.callAvoided('caller_rate_limit');
        throw new UpstreamError('rate_limited', `This caller is over its rate of calls to ${this.api}.`, { retryAfterMs: waitMs });
      }
      joining = this.coalesce && this.coalescer.waiters(key) > 0;
    }
    if (joining) {
      // It joined a call after all (another request started it meanwhile): it sends nothing.
      this.observer.coalesced();
      await ticket?.settle(false);
      ticket = undefined;
    } else onCall();
    // The ticket is settled by the call itself, whose outcome it is, even if this request stops waiting for it.
    let ran = false;
    try {
      const call = (budget: OperationScope) => {
        ran = true;
        return this.call(ref, caller, budget, ticket);
      };
      const fetched = this.coalesce ? await this.coalescer.run(key, scope, call) : await call(scope);
      return joining ? { ...fetched, source: 'shared' } : fetched;
    } catch (error) {
      // The call failed, or this caller's own deadline passed (or its client left) while it waited for it.
      const failure = error instanceof UpstreamError ? error : errorFromException(error, abortReason(scope.signal), this.api);
      const stale = answer?.metadata ? staleAnswer(answer, failure) : undefined;
      if (!stale) throw failure;
      this.observer.staleAnswer();
      return stale;
    } finally {
      if (!ran) await ticket?.settle(false);
    }
  }

  /** One upstream call, made once for every request that shares it. */
  private async call(ref: ImageRef, caller: Caller, budget: OperationScope, ticket: RefusalTicket | undefined): Promise<Fetched> {
    // A call with an unproven credential is not abandoned when its callers leave, only at its deadline (or when the
    // service stops): its answer is what says whether the credential works, and a refusal is charged to the address
    // all the same (a client hanging up early would otherwise get its junk tokens sent uncounted).
    const signal = ticket ? AbortSignal.any([AbortSignal.timeout(Math.max(0, budget.deadlineAt - Date.now())), this.stopping.signal]) : budget.signal;
    try {
      const metadata = await this.backend.getImageMetadata(ref, {
        credential: caller.credential,
        signal,
        deadlineAt: budget.deadlineAt,
        requestId: budget.requestId,
        traceContext: budget.traceContext,
        rateKey: caller.rateKey,
      });
      this.proven.set(caller.scope, true);
      await ticket?.settle(false);
      return { metadata, source: 'upstream', freshForMs: this.cache.remember(caller.scope, ref, metadata) };
    } catch (error) {
      // The upstream itself refused (not a refusal of ours): do not send this credential again for a while.
      if (isUpstreamRefusal(error)) this.cache.refuse(caller.scope, ref.projectId, error.failure);
      await ticket?.settle(isUpstreamRefusal(error));
      throw error;
    }
  }
}

/** The upstream itself refused the credential (401, 403): not a refusal of this service's. */
function isUpstreamRefusal(error: unknown): error is UpstreamError & { failure: 'unauthenticated' | 'forbidden' } {
  return error instanceof UpstreamError && error.upstream !== undefined && (error.failure === 'unauthenticated' || error.failure === 'forbidden');
}

/** The failures an expired answer may stand in for: the upstream is down or slow, not refusing this caller. */
function staleAnswer(answer: CachedAnswer, failure: UpstreamError): Fetched | undefined {
  if (failure.failure !== 'unavailable' && failure.failure !== 'timeout') return undefined;
  return { metadata: answer.metadata, source: 'stale', freshForMs: 0, staleAgeMs: answer.ageMs };
}

function refusedAgain(failure: 'unauthenticated' | 'forbidden', api: string): UpstreamError {
  const Api = capitalised(api);
  return failure === 'unauthenticated'
    ? new UpstreamError('unauthenticated', `${Api} refused this credential moments ago; it is not sent again for a few seconds.`)
    : new UpstreamError('forbidden', `${Api} refused this credential access to this project moments ago; it is not asked again for a few seconds.`);
}
