import { isIPv6 } from 'node:net';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RefusalLimit, RefusalTicket } from '../images/image-source.js';
import type { RedisLink } from './redis-link.js';
import { countedIn, sharedOrLocal } from './shared-or-local.js';

/** The window the refusals of one address are counted over. */
const WINDOW_SECONDS = 60;

/**
 * Upstream refusals (401, 403) per client address, `perMinute` at most: past it, the address is refused for the
 * rest of the minute. Only refusals are counted: a valid new credential costs the address nothing (a call with
 * an unproven credential runs to its answer even when its caller leaves: see ImageSource). So that the limit holds however many calls start
 * at once, this process sends an address's calls with unproven credentials only while those in flight, were they
 * all refused, would keep it within its limit; the others wait for one to finish (not refused: they all go on).
 * The refusals are shared by every replica through Redis (one key per address, so Cluster-safe), the calls in
 * flight are each process's own: with N replicas the limit may be passed by what N - 1 others have in flight.
 * While Redis is out, each process counts on its own. `perMinute` 0: no limit.
 */
export function createRefusalLimit(perMinute: number, redis: RedisLink | undefined): RefusalLimit {
  if (perMinute === 0) return { admit: async () => FREE };
  const options = { keyPrefix: 'ecs-image-graph:refused-address', points: perMinute, duration: WINDOW_SECONDS };
  const run = sharedOrLocal<RateLimiterMemory | RateLimiterRedis>(redis, new RateLimiterMemory(options), redis && new RateLimiterRedis({ ...options, ...countedIn(redis) }));
  const calls = new CallsInFlight();
  const ticketFor = (address: string): RefusalTicket => {
    let settled = false;
    return {
      async settle(refused) {
        if (settled) return;
        settled = true;
        // Counted before the waiting calls look again, so that they see it.
        if (refused) await run((limiter) => limiter.penalty(address, 1)).catch(() => undefined);
        calls.finished(address);
      },
    };
  };
  return {
    async admit(clientAddress, signal) {
      const address = networkOf(clientAddress);
      for (;;) {
        const counted = await run((limiter) => limiter.get(address));
        const refusals = counted?.consumedPoints ?? 0;
        if (refusals >= perMinute) return { blockedMs: Math.max(1, counted?.msBeforeNext ?? WINDOW_SECONDS * 1000) };
        if (refusals + calls.of(address) < perMinute) {
          calls.started(address);
          return ticketFor(address);
        }
        await calls.oneFinished(address, signal);
      }
    },
  };
}

const FREE: RefusalTicket = { settle: async () => undefined };

/** This process's calls in flight with unproven credentials, per address, and who waits for one to finish. */
class CallsInFlight {
  private readonly counts = new Map<string, number>();
  private readonly waiting = new Map<string, Set<() => void>>();

  of(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  started(address: string): void {
    this.counts.set(address, this.of(address) + 1);
  }

  finished(address: string): void {
    const left = this.of(address) - 1;
    if (left > 0) this.counts.set(address, left);
    else this.counts.delete(address);
    const waiting = this.waiting.get(address);
    this.waiting.delete(address);
    for (const wake of waiting ?? []) wake();
  }

  /** Resolves when a call of `address` finishes; rejects with the signal's reason if it fires first. */
  oneFinished(address: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const waiting = this.waiting.get(address) ?? new Set();
      this.waiting.set(address, waiting);
      const onAbort = () => {
        waiting.delete(wake);
        if (waiting.size === 0 && this.waiting.get(address) === waiting) this.waiting.delete(address);
        reject(signal.reason as Error);
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * What refusals are counted by: an IPv4 address, or an IPv6 address's /64 network (a client is usually given a whole
 * /64, and could send each junk token from an address of its own).
 */
export function networkOf(address: string): string {
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // A dotted IPv4 ending holds two groups.
  const rightGroups = right.reduce((groups, group) => groups + (group.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - rightGroups).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
