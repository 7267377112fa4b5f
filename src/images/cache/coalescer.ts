import { setMaxListeners } from 'node:events';

/** What a shared call runs under: the first caller's budget (deadline, request id...), with a signal of its own. */
export interface SharedBudget {
  readonly signal: AbortSignal;
  readonly deadlineAt: number;
}

interface InFlight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

/**
 * Shares one run of `work` among all callers asking for the same key at the same time, across GraphQL
 * requests: fifty identical operations in flight cost one upstream call.
 *
 * Each caller waits only as long as its own signal allows. The shared call starts no retry past the
 * first caller's deadline, and is aborted only when every caller has given up, so one client going away
 * does not fail the others.
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, InFlight<T>>();

  /** How many callers wait for the shared call of `key` (0 when none runs). */
  waiters(key: string): number {
    return this.inFlight.get(key)?.waiters ?? 0;
  }

  run<B extends SharedBudget>(key: string, caller: B, work: (budget: B) => Promise<T>): Promise<T> {
    let shared = this.inFlight.get(key);
    if (!shared) {
      const controller = new AbortController();
      // One listener per waiting caller; a popular image may have many.
      setMaxListeners(0, controller.signal);
      const promise = work({ ...caller, signal: controller.signal }).finally(() => this.inFlight.delete(key));
      shared = { promise, controller, waiters: 0 };
      this.inFlight.set(key, shared);
    }
    return wait(shared, caller.signal);
  }
}

/** The shared result, or the caller's own abort reason as soon as its signal fires. */
function wait<T>(shared: InFlight<T>, signal: AbortSignal): Promise<T> {
  shared.waiters += 1;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const leave = () => {
      if (done) return false;
      done = true;
      signal.removeEventListener('abort', onAbort);
      shared.waiters -= 1;
      return true;
    };
    const onAbort = () => {
      if (!leave()) return;
      if (shared.waiters === 0) shared.controller.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    shared.promise.then(
      (value) => leave() && resolve(value),
      (error: unknown) => leave() && reject(error),
    );
  });
}
