import { setMaxListeners } from 'node:events';
import type { Plugin } from 'graphql-yoga';

/** How long one GraphQL operation may wait for the upstream, and the signal that ends the wait. */
export interface OperationBudget {
  /** Aborts at the deadline (reason: a `TimeoutError` DOMException) or when the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms of the deadline. */
  readonly deadlineAt: number;
}

/**
 * Gives each request a deadline, and clears its timer as soon as the response is sent. Without the
 * clearing, every finished operation would keep its timer and signals alive until the deadline passes:
 * at a few thousand operations a second and a 10 s deadline, tens of thousands of them.
 */
export function createOperationBudgets(deadlineMs: number) {
  const timers = new WeakMap<Request, NodeJS.Timeout>();
  return {
    forRequest(request: Request): OperationBudget {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DOMException('The operation deadline passed.', 'TimeoutError')), deadlineMs);
      timers.set(request, timer);
      const signal = AbortSignal.any([request.signal, deadline.signal]);
      // Every upstream call of the operation listens to this signal while it runs or queues: an operation
      // of a hundred images has a hundred listeners, and Node's leak warning (at 10) would be a false alarm.
      setMaxListeners(0, signal);
      return { signal, deadlineAt: Date.now() + deadlineMs };
    },
    plugin: {
      onResponse({ request }) {
        clearTimeout(timers.get(request));
        timers.delete(request);
      },
    } satisfies Plugin,
  };
}
