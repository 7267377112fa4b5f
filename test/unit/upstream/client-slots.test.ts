import type { ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID } from '../../../src/sandbox/samples.js';
import { createCircuitBreaker } from '../../../src/upstream/circuit-breaker.js';
import { UpstreamClient } from '../../../src/upstream/client.js';
import { RetryBudget } from '../../../src/upstream/retry-budget.js';
import { serve } from '../../helpers/net.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A loopback upstream that holds every request until the test answers it. */
async function holdingUpstream() {
  const held: ServerResponse[] = [];
  const arrived: Array<() => void> = [];
  const served = await serve((_request, response) => {
    held.push(response);
    arrived.shift()?.();
  });
  cleanups.push(served.close);
  return {
    url: new URL(served.origin),
    held,
    nextArrival: () => new Promise<void>((resolve) => arrived.push(resolve)),
  };
}

function client(url: URL) {
  const pool = new Pool(url.origin, { connections: 1 });
  cleanups.push(() => pool.close());
  return new UpstreamClient(
    pool,
    url,
    {
      backend: 'ecs',
      maxConnections: 1,
      attemptTimeoutMs: 5000,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      retryBudget: new RetryBudget({ percent: 20, minPerSecond: 10 }),
      observer: { attempt: () => undefined, retry: () => undefined, retryOverBudget: () => undefined },
      tracing: { enabled: false, startUpstreamCall: () => ({}) as never, endUpstreamCall: () => undefined },
    },
    createCircuitBreaker({ failureRate: 0.5, windowMs: 10_000, minCalls: 100, halfOpenAfterMs: 1000 }),
  );
}

const ref = { projectId: SAMPLE_PROJECT_ID, imageId: '17a1890b-0fa4-485e-8505-14e294017988' };
const request = { path: '/x', name: 'GET x', read: async ({ body }: { body: { text(): Promise<string> } }) => body.text() };
const call = (signal: AbortSignal) => ({ credential: { kind: 'token' as const, token: 'a-token' }, signal, deadlineAt: Date.now() + 10_000 });

describe('UpstreamClient: the queue of connection slots', () => {
  it('a call queued behind a full pool whose operation has already given up fails with that, and leaves nothing unhandled when its turn comes', async () => {
    const upstream = await holdingUpstream();
    const upstreamClient = client(upstream.url);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(async () => void process.off('unhandledRejection', onUnhandled));

    const arrival = upstream.nextArrival();
    const first = upstreamClient.get(ref, request, call(new AbortController().signal));
    await arrival; // the only slot is taken
    const gaveUp = new AbortController();
    gaveUp.abort(new DOMException('The client went away.', 'AbortError'));
    await expect(upstreamClient.get(ref, request, call(gaveUp.signal))).rejects.toMatchObject({ failure: 'timeout' });

    upstream.held[0]!.end('first');
    expect(await first).toBe('first');
    // The queued attempt's turn: it is skipped without a call, and its rejection is handled.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    expect(upstream.held).toHaveLength(1);
  });
});
