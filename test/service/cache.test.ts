import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { callerFingerprint } from '../../src/sandbox/server.js';
import { metadataPath, withStack, type AppOptions, type Stack } from '../helpers/stack.js';
import { scrape } from '../helpers/metrics.js';
import { gate, until } from '../helpers/until.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const MISSING = '00000000-0000-4000-8000-000000000000';
const QUERY = `{ image(projectId: "${P}", id: "${DOC}") { id osType metadata { key value } } }`;
const CACHED: AppOptions['cache'] = { ttlMs: 60_000, notFoundTtlMs: 10_000 };

afterEach(() => {
  vi.useRealTimers();
});

const callerOf = (body: Awaited<ReturnType<Stack['query']>>['body']) =>
  (body.data?.['image'] as { metadata: Array<{ key: string; value: string }> }).metadata.find((entry) => entry.key === 'sandbox_caller')?.value;

describe('the cache across requests (in memory)', () => {
  it('answers a repeated operation within the TTL with no upstream call, identically', async () => {
    await withStack({ cache: CACHED }, async (stack) => {
      const first = await stack.query(QUERY);
      const second = await stack.query(QUERY);
      const third = await stack.query(`{ images(projectId: "${P}", ids: ["${DOC}", "${DOC}"]) { id osBit } }`);
      expect(second.body).toEqual(first.body);
      expect(third.body).toEqual({ data: { images: [{ id: DOC, osBit: 64 }, { id: DOC, osBit: 64 }] } });
      expect(stack.upstreamPaths()).toEqual([metadataPath(P, DOC)]);
    });
  });

  it('calls again once the TTL has passed, and every time with the TTL at 0', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await withStack({ cache: { ttlMs: 60_000, notFoundTtlMs: 0 } }, async (stack) => {
      await stack.query(QUERY);
      vi.setSystemTime(Date.now() + 59_999);
      await stack.query(QUERY);
      expect(stack.upstreamPaths()).toHaveLength(1);
      vi.setSystemTime(Date.now() + 1);
      await stack.query(QUERY);
      expect(stack.upstreamPaths()).toHaveLength(2);
    });
    await withStack({ cache: { ttlMs: 0, notFoundTtlMs: 0 } }, async (stack) => {
      for (let n = 0; n < 3; n += 1) await stack.query(QUERY);
      expect(stack.upstreamPaths()).toHaveLength(3);
    });
  });

  it('keeps to CACHE_MAX_BYTES, forgetting the answer used least recently', async () => {
    // Each of these two images takes about 2 KB in the cache (test/unit/cache-memory.test.ts): room for one of them.
    const OTHER = 'e9f1a3b5-c7d9-4e1f-a3b5-c7d9e1f3a5b7';
    await withStack({ cache: { ...CACHED, maxBytes: 3000 } }, async (stack) => {
      for (const id of [DOC, DOC, OTHER, OTHER, DOC]) await stack.query(`{ image(projectId: "${P}", id: "${id}") { id } }`);
      expect(stack.upstreamPaths()).toEqual([metadataPath(P, DOC), metadataPath(P, OTHER), metadataPath(P, DOC)]);
    });
  });

  it('caches "does not exist" under its own TTL', async () => {
    const missing = `{ image(projectId: "${P}", id: "${MISSING}") { id } }`;
    await withStack({ cache: CACHED }, async (stack) => {
      expect((await stack.query(missing)).body).toEqual({ data: { image: null } });
      expect((await stack.query(missing)).body).toEqual({ data: { image: null } });
      expect(stack.upstreamPaths()).toHaveLength(1);
    });
    await withStack({ cache: { ttlMs: 60_000, notFoundTtlMs: 0 } }, async (stack) => {
      await stack.query(missing);
      await stack.query(missing);
      expect(stack.upstreamPaths()).toHaveLength(2);
    });
  });

  it('never caches an error', async () => {
    await withStack({ cache: CACHED, upstream: { retries: 0 } }, async (stack) => {
      const failing = `{ image(projectId: "${P}", id: "${FAULTS.unavailable.imageId}") { id } }`;
      for (let n = 0; n < 3; n += 1) {
        const { body } = await stack.query(failing);
        expect(body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
      }
      expect(stack.upstreamPaths()).toHaveLength(3);
    });
  });
});

describe("one caller's answers are never served to another", () => {
  it('a different token makes its own call and sees only its own answer', async () => {
    await withStack({ cache: CACHED, sandbox: { identifyCaller: true } }, async (stack) => {
      const alice = await stack.query(QUERY, { headers: { 'x-auth-token': 'token-of-alice' } });
      const bob = await stack.query(QUERY, { headers: { 'x-auth-token': 'token-of-bob' } });
      const aliceAgain = await stack.query(QUERY, { headers: { 'x-auth-token': 'token-of-alice' } });
      const anonymous = await stack.query(QUERY);
      expect(callerOf(alice.body)).toBe(callerFingerprint('token-of-alice'));
      expect(callerOf(bob.body)).toBe(callerFingerprint('token-of-bob'));
      expect(callerOf(aliceAgain.body)).toBe(callerFingerprint('token-of-alice'));
      expect(callerOf(anonymous.body)).toBe('anonymous');
      // Alice, Bob and the anonymous caller: one call each; Alice's second query came from the cache.
      expect(stack.sandbox.requests.map((request) => request.headers['x-auth-token'])).toEqual(['token-of-alice', 'token-of-bob', undefined]);
    });
  });
});

/** Resolves once `count` lookups have joined a call in flight, as /metrics counts them. */
const joined = (stack: Stack, count: number) => until(async () => (await scrape(stack.app)).value('ecs_image_graph_coalesced_calls_total') === count);

// The sandbox holds its answers until the test opens the gate, so every operation is in flight at once.
describe('coalescing identical calls in flight', () => {
  it('50 concurrent identical operations make one upstream call, even with the cache off', async () => {
    const held = gate();
    await withStack({ sandbox: { answerWhen: held.passed } }, async (stack) => {
      const answering = Promise.all(Array.from({ length: 50 }, () => stack.query(QUERY, { headers: { 'x-auth-token': 'same-token' } })));
      await joined(stack, 49);
      held.open();
      const answers = await answering;
      expect(new Set(answers.map(({ body }) => JSON.stringify(body))).size).toBe(1);
      expect(answers[0]?.body.data?.['image']).toMatchObject({ id: DOC, osType: 'LINUX' });
      expect(stack.upstreamPaths()).toEqual([metadataPath(P, DOC)]);
    });
  });

  it('shares a call only within one credential scope', async () => {
    const held = gate();
    await withStack({ sandbox: { answerWhen: held.passed, identifyCaller: true } }, async (stack) => {
      const tokens = ['token-a', 'token-b'].flatMap((token) => Array<string>(10).fill(token));
      const answering = Promise.all(tokens.map((token) => stack.query(QUERY, { headers: { 'x-auth-token': token } })));
      await joined(stack, 18);
      held.open();
      const answers = await answering;
      expect(answers.map(({ body }) => callerOf(body))).toEqual(tokens.map(callerFingerprint));
      expect(stack.sandbox.requests.map((request) => request.headers['x-auth-token']).sort()).toEqual(['token-a', 'token-b']);
    });
  });

  it('does not fail the others when the caller that started the shared call goes away', async () => {
    const held = gate();
    await withStack({ sandbox: { answerWhen: held.passed } }, async (stack) => {
      const controller = new AbortController();
      const starter = Promise.resolve(
        stack.app.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-auth-token': 'shared-token' },
          body: JSON.stringify({ query: QUERY }),
          signal: controller.signal,
        }),
      ).then(
          () => 'answered',
          (error: unknown) => (error as Error).name,
        );
      await until(() => stack.sandbox.inFlight === 1);
      const joiner = stack.query(QUERY, { headers: { 'x-auth-token': 'shared-token' } });
      await joined(stack, 1);
      controller.abort();
      expect(await starter).toBe('AbortError');
      // The shared call goes on for the joiner: the sandbox still has it.
      expect(stack.sandbox.inFlight).toBe(1);
      held.open();
      expect((await joiner).body.data?.['image']).toMatchObject({ id: DOC, osType: 'LINUX' });
      expect(stack.upstreamPaths()).toEqual([metadataPath(P, DOC)]);
      await stack.sandbox.whenIdle();
    });
  });
});
