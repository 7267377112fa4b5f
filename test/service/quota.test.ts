import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from '../../src/images/cache/coalescer.js';
import { ImageSource, type Caller, type CallerRateLimit } from '../../src/images/image-source.js';
import type { UpstreamError } from '../../src/images/upstream-error.js';
import { RetryBudget } from '../../src/upstream/retry-budget.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox, type ImsAnswer } from '../../src/sandbox/server.js';
import { scrape } from '../helpers/metrics.js';
import { appFor, withStack, type AppOptions, type Stack } from '../helpers/stack.js';
import { gate, until } from '../helpers/until.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const project = (n: number) => n.toString(16).padStart(32, 'b');
/** Long windows, so that no window ends while a test runs: the counts are then exact. */
const rate = (calls: number, burst: number): NonNullable<AppOptions['callers']> => ({ rate: { calls, windowSeconds: 3600, burst, burstWindowSeconds: 3600 } });

type Body = Awaited<ReturnType<Stack['query']>>['body'];
const codes = (body: Body) => (body.errors ?? []).map((error) => error.extensions?.['code']);
const imagesQuery = (ids: string[], projectId = P) => `{ images(projectId: "${projectId}", ids: ${JSON.stringify(ids)}) { id } }`;

afterEach(() => {
  vi.useRealTimers();
});

describe('per-caller rate of upstream calls (UPSTREAM_CALLS_PER_CALLER_PER_SECOND and _BURST)', () => {
  it('lets a caller make its rate plus its burst, then fails its images with RATE_LIMITED and no call; each caller has its own', async () => {
    await withStack({ callers: rate(3, 2) }, async (stack) => {
      const ids = Array.from({ length: 8 }, (_, n) => uuid(n));
      const alice = await stack.query(imagesQuery(ids), { headers: { 'x-auth-token': 'alice' } });
      expect(stack.sandbox.requests).toHaveLength(5);
      expect(codes(alice.body)).toEqual(Array(3).fill('RATE_LIMITED'));
      // Her allowance comes back when its window (an hour) ends, a few milliseconds short of 3600 s from now: in whole
      // seconds, rounded up, so that a client waiting that long is never early.
      expect(alice.body.errors?.[0]).toMatchObject({
        message: 'This caller is over its rate of calls to ECS.',
        extensions: { code: 'RATE_LIMITED', retryAfter: 3600 },
      });
      expect(alice.body.errors?.[0]?.extensions?.['upstream']).toBeUndefined();

      const bob = await stack.query(imagesQuery(ids), { headers: { 'x-auth-token': 'bob' } });
      expect(codes(bob.body)).toEqual(Array(3).fill('RATE_LIMITED'));
      expect(stack.sandbox.requests).toHaveLength(10);
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_calls_avoided_total', { reason: 'caller_rate_limit' })).toBe(6);
    });
  });

  it('never refuses a caller because another one, whose call it would share, is over its rate', async () => {
    await withStack({}, async (stack) => {
      // Both callers share a cache scope (every caller does, in service mode); Mallory's allowance is checked
      // slowly (as over Redis), and she is over it.
      let releaseMallory = () => undefined as void;
      const malloryChecked = new Promise<void>((resolve) => (releaseMallory = resolve));
      const rateLimit: CallerRateLimit = async (key) => (key === 'mallory' ? malloryChecked.then(() => 1000) : undefined);
      const noop = () => undefined;
      const source = new ImageSource({
        backend: stack.upstream.backend,
        cache: stack.services.cache,
        coalescer: new Coalescer(),
        allowance: rateLimit,
        refusals: { admit: async () => ({ settle: async () => undefined }) },
        observer: { cacheLookup: noop, coalesced: noop, callAvoided: noop, staleAnswer: noop },
      });
      const scope = { requestId: 'r', signal: new AbortController().signal, deadlineAt: Date.now() + 10_000, traceContext: undefined };
      const caller = (rateKey: string): Caller => ({ scope: 'shared', credential: { kind: 'none' }, rateKey });
      const ref = { projectId: P, imageId: DOC };
      const mallory = source.fetch(ref, caller('mallory'), scope).catch((error: unknown) => (error as UpstreamError).failure);
      const alice = source.fetch(ref, caller('alice'), scope);
      releaseMallory();
      expect(await mallory).toBe('rate_limited');
      expect(await alice).toMatchObject({ source: 'upstream', metadata: { entries: expect.arrayContaining([{ key: '__os_type', value: 'Suse' }]) } });
      expect(stack.sandbox.requests).toHaveLength(1);
    });
  });

  it('charges only real calls: joining a call already in flight is free', async () => {
    const held = gate();
    await withStack({ callers: rate(1, 0), sandbox: { answerWhen: held.passed } }, async (stack) => {
      const query = `{ image(projectId: "${P}", id: "${DOC}") { id } }`;
      const headers = { 'x-auth-token': 'alice' };
      // Alice's one call of the hour is in flight; her second operation asks for the same image meanwhile.
      const first = stack.query(query, { headers });
      await until(() => stack.sandbox.requests.length === 1);
      let secondDone = false;
      const second = stack.query(query, { headers }).finally(() => (secondDone = true));
      await until(async () => secondDone || (await scrape(stack.app)).value('ecs_image_graph_coalesced_calls_total') === 1);
      held.open();
      expect([(await first).body, (await second).body]).toEqual(Array(2).fill({ data: { image: { id: DOC } } }));
      expect(stack.sandbox.requests).toHaveLength(1);
    });
  });

  it('charges only real calls: cache hits are free', async () => {
    await withStack({ callers: rate(1, 0), cache: { ttlMs: 60_000 } }, async (stack) => {
      const query = `{ image(projectId: "${P}", id: "${DOC}") { id } }`;
      for (let n = 0; n < 3; n += 1) expect((await stack.query(query, { headers: { 'x-auth-token': 'alice' } })).body).toEqual({ data: { image: { id: DOC } } });
      expect(stack.sandbox.requests).toHaveLength(1);
    });
  });
});

describe('the retry budget (UPSTREAM_RETRY_BUDGET_PERCENT)', () => {
  it('allows retries up to a share of recent calls, plus a floor, over a sliding 10 s window', () => {
    let now = 1_000_000;
    const budget = new RetryBudget({ percent: 20, minPerSecond: 0 }, () => now);
    for (let n = 0; n < 10; n += 1) budget.recordCall();
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    now += 9_000;
    expect(budget.tryRetry()).toBe(false);
    now += 1_000; // the calls' second has left the window, and so have the retries
    for (let n = 0; n < 5; n += 1) budget.recordCall();
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false]);

    const floor = new RetryBudget({ percent: 0, minPerSecond: 1 }, () => now);
    expect(Array.from({ length: 11 }, () => floor.tryRetry())).toEqual([...Array<boolean>(10).fill(true), false]);
  });

  it('counts only the calls the circuit breaker let through: fast failures earn no retries', async () => {
    // Date is the clock of the breaker and of the budget: it stands still, so every call falls in one window,
    // and the test moves it to let the circuit half-open.
    vi.useFakeTimers({ toFake: ['Date'] });
    const circuit = { failureRate: 0.5, windowMs: 60_000, minCalls: 5, halfOpenAfterMs: 1000 };
    await withStack({ upstream: { retries: 2, retryBaseDelayMs: 1, retryBudget: { percent: 20, minPerSecond: 0 }, circuit }, limits: { concurrency: 1 } }, async (stack) => {
      const images = (from: number, count: number, imageId: string) =>
        `{ ${Array.from({ length: count }, (_, n) => `i${n}: image(projectId: "${project(from + n)}", id: "${imageId}") { id }`).join(' ')} }`;
      // Five failing calls open the circuit; the fifth earns the one retry that 20% of five allows.
      await stack.query(images(0, 5, FAULTS.error.imageId));
      expect(stack.sandbox.requests).toHaveLength(6);
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_circuit_state', { backend: 'ecs' })).toBe(2); // open
      for (let from = 100; from < 200; from += 20) await stack.query(images(from, 20, FAULTS.throttledNoRetryAfter.imageId)); // 100 calls, none sent
      expect(stack.sandbox.requests).toHaveLength(6);
      vi.setSystemTime(Date.now() + 1000);
      // Had the 100 failures counted, these 5 calls could retry 21 times; with the 10 calls really made, they earn one.
      await stack.query(images(200, 5, FAULTS.throttledNoRetryAfter.imageId));
      expect(stack.sandbox.requests).toHaveLength(12);
    });
  });

  it('turns 100 throttled images into 120 calls, not 300', async () => {
    // One call at a time, so that the order of calls and retries (and so the count) is exact.
    const options: AppOptions = { upstream: { retries: 2, retryBaseDelayMs: 1, retryBudget: { percent: 20, minPerSecond: 0 } }, limits: { concurrency: 1 } };
    await withStack(options, async (stack) => {
      const fields = Array.from({ length: 100 }, (_, n) => `i${n}: image(projectId: "${project(n)}", id: "${FAULTS.throttledNoRetryAfter.imageId}") { id }`);
      const { body } = await stack.query(`{ ${fields.slice(0, 20).join(' ')} }`);
      expect(codes(body)).toEqual(Array(20).fill('RATE_LIMITED'));
      // 20 aliases is the limit of one operation: five operations make the 100 images.
      for (let from = 20; from < 100; from += 20) await stack.query(`{ ${fields.slice(from, from + 20).join(' ')} }`);
      expect(stack.sandbox.requests).toHaveLength(120);
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_retries_over_budget_total')).toBe(100);
    });
  });
});

describe('a refused credential is remembered (UPSTREAM_AUTH_FAILURE_CACHE_SECONDS)', () => {
  it('after a 401, no call of that caller reaches the upstream for a while; other callers are not affected', async () => {
    await withStack({ callers: { refusalTtlMs: 60_000 }, sandbox: { revokedTokens: new Set(['junk']) } }, async (stack) => {
      const first = await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': 'junk' } });
      expect(first.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', upstream: { status: 401, code: 'APIGW.0301' } });
      const again = await stack.query(imagesQuery([uuid(1), uuid(2), uuid(3)], project(1)), { headers: { 'x-auth-token': 'junk' } });
      expect(again.body.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual(
        Array(3).fill({
          message: 'ECS refused this credential moments ago; it is not sent again for a few seconds.',
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      );
      expect(stack.sandbox.requests).toHaveLength(1);
      expect((await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': 'good' } })).body).toEqual({
        data: { image: { id: DOC } },
      });
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_calls_avoided_total', { reason: 'refused_credential' })).toBe(3);
    });
  });

  it('after a 403, that caller is not sent to that project again for a while; other projects still are', async () => {
    await withStack({ callers: { refusalTtlMs: 60_000 } }, async (stack) => {
      const headers = { 'x-auth-token': 'alice' };
      const forbidden = await stack.query(`{ image(projectId: "${P}", id: "${FAULTS.forbidden.imageId}") { id } }`, { headers });
      expect(codes(forbidden.body)).toEqual(['FORBIDDEN']);
      const sameProject = await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers });
      expect(sameProject.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      const otherProject = await stack.query(`{ image(projectId: "${project(2)}", id: "${DOC}") { id } }`, { headers });
      expect(otherProject.body).toEqual({ data: { image: null } });
      expect(stack.sandbox.requests.map((request) => request.path.split('/')[2])).toEqual([P, project(2)]);
    });
  });

  it('ends reading the cache as soon as the upstream refuses the token, instead of at the end of the TTL', async () => {
    const revoked = new Set<string>();
    await withStack({ callers: { refusalTtlMs: 60_000 }, cache: { ttlMs: 60_000 }, sandbox: { revokedTokens: revoked } }, async (stack) => {
      const headers = { 'x-auth-token': 'alice' };
      const cached = `{ image(projectId: "${P}", id: "${DOC}") { id } }`;
      expect((await stack.query(cached, { headers })).body).toEqual({ data: { image: { id: DOC } } });
      revoked.add('alice');
      expect((await stack.query(cached, { headers })).body).toEqual({ data: { image: { id: DOC } } }); // within the TTL, from the cache
      expect(codes((await stack.query(`{ image(projectId: "${P}", id: "${uuid(9)}") { id } }`, { headers })).body)).toEqual(['UNAUTHENTICATED']);
      expect(codes((await stack.query(cached, { headers })).body)).toEqual(['UNAUTHENTICATED']);
      expect(stack.sandbox.requests).toHaveLength(2);
    });
  });
});

describe('what a refusal takes away from the cache, however briefly calls are blocked', () => {
  it('an answer cached before the upstream refused the token is never served again, fresh or stale', async () => {
    const revoked = new Set<string>();
    const sandbox = await startSandbox({ revokedTokens: revoked });
    // UPSTREAM_AUTH_FAILURE_CACHE_SECONDS=0: no call is blocked, yet the refusal still counts against the cache.
    const service = await appFor(sandbox.url, { cache: { ttlMs: 60_000, staleIfErrorMs: 60_000 }, callers: { refusalTtlMs: 0 }, upstream: { retries: 0 } });
    const headers = { 'x-auth-token': 'alice' };
    const cached = `{ image(projectId: "${P}", id: "${DOC}") { id } }`;
    try {
      expect((await service.query(cached, { headers })).body).toEqual({ data: { image: { id: DOC } } });
      revoked.add('alice');
      expect(codes((await service.query(`{ image(projectId: "${P}", id: "${uuid(3)}") { id } }`, { headers })).body)).toEqual(['UNAUTHENTICATED']);
      // Fresh in the cache, but fetched before the refusal: asked again, and refused again.
      expect(codes((await service.query(cached, { headers })).body)).toEqual(['UNAUTHENTICATED']);
      expect(sandbox.requests).toHaveLength(3);
      // With the upstream gone, no stale copy stands in for it either.
      await sandbox.close();
      const down = await service.query(cached, { headers });
      expect(codes(down.body)).toEqual(['UPSTREAM_UNAVAILABLE']);
      expect(down.body.extensions).toBeUndefined();
    } finally {
      await service.close();
    }
  });
});

describe('stale-if-error (CACHE_STALE_IF_ERROR_SECONDS)', () => {
  const options: AppOptions = { cache: { ttlMs: 60_000, staleIfErrorMs: 60_000 }, upstream: { retries: 0 }, callers: { refusalTtlMs: 60_000 } };
  const query = `{ image(projectId: "${P}", id: "${DOC}") { id osType } }`;
  // The cache's clock is Date's: the tests move it past the TTL instead of waiting.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  const expire = () => vi.setSystemTime(Date.now() + 60_001);

  it('answers the expired metadata when the upstream is down, marked in extensions.stale with its age, and counts it', async () => {
    const sandbox = await startSandbox();
    const service = await appFor(sandbox.url, options);
    try {
      expect((await service.query(query)).body).toEqual({ data: { image: { id: DOC, osType: 'LINUX' } } });
      expire();
      await sandbox.close();
      const stale = await service.query(`{ a: image(projectId: "${P}", id: "${DOC}") { id osType } list: images(projectId: "${P}", ids: ["${uuid(1)}", "${DOC}"]) { id } }`);
      expect(stale.body).toEqual({
        data: { a: { id: DOC, osType: 'LINUX' }, list: [null, { id: DOC }] },
        errors: [expect.objectContaining({ path: ['list', 0], extensions: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }) })],
        extensions: {
          stale: [
            { path: ['a'], id: DOC, ageSeconds: 60 },
            { path: ['list', 1], id: DOC, ageSeconds: 60 },
          ],
        },
      });
      expect((await scrape(service.app)).value('ecs_image_graph_stale_answers_total')).toBe(1);
    } finally {
      await service.close();
    }
  });

  it('never answers stale data to a caller the upstream refused (401), even once the upstream is down', async () => {
    const revoked = new Set<string>();
    const sandbox = await startSandbox({ revokedTokens: revoked });
    const service = await appFor(sandbox.url, options);
    const headers = { 'x-auth-token': 'alice' };
    try {
      await service.query(query, { headers });
      expire();
      revoked.add('alice');
      expect(codes((await service.query(query, { headers })).body)).toEqual(['UNAUTHENTICATED']);
      await sandbox.close();
      const after = await service.query(query, { headers });
      expect(codes(after.body)).toEqual(['UNAUTHENTICATED']);
      expect(after.body.extensions).toBeUndefined();
    } finally {
      await service.close();
    }
  });

  it('answers stale only for an upstream that is down or slow: not for a throttled call or a body it cannot read', async () => {
    // IMS answers from the test's map once the image is in it: the same image, first healthy, then failing in turn.
    const imsAnswers = new Map<string, ImsAnswer>();
    const sandbox = await startSandbox({ imsAnswers });
    const service = await appFor(sandbox.url, { ...options, backend: { kind: 'ims' } });
    try {
      await service.query(query);
      expire();
      imsAnswers.set(DOC, { status: 429, body: { error_code: 'APIG.0308', error_msg: 'The throttling threshold has been reached' } });
      const throttled = await service.query(query);
      imsAnswers.set(DOC, { body: { images: 'not a list' } });
      const unreadable = await service.query(query);
      expect([throttled.body, unreadable.body].map((body) => ({ codes: codes(body), extensions: body.extensions }))).toEqual([
        { codes: ['RATE_LIMITED'], extensions: undefined },
        { codes: ['UPSTREAM_BAD_RESPONSE'], extensions: undefined },
      ]);
      imsAnswers.set(DOC, { status: 503, body: { error: { code: 'IMG.0503', message: 'Service unavailable.' } } });
      expect((await service.query(query)).body).toEqual({ data: { image: { id: DOC, osType: 'LINUX' } }, extensions: { stale: [{ path: ['image'], id: DOC, ageSeconds: 60 }] } });
    } finally {
      await service.close();
      await sandbox.close();
    }
  });

  it('keeps no stale copy past its stale window, even at its last millisecond, while a store still holds it', async () => {
    const sandbox = await startSandbox();
    const service = await appFor(sandbox.url, options);
    try {
      await service.query(query);
      // 60 s fresh and 60 s stale: the entry is as old as the store keeps it, and the in-memory store still gives it.
      vi.setSystemTime(Date.now() + 120_000);
      await sandbox.close();
      expect(codes((await service.query(query)).body)).toEqual(['UPSTREAM_UNAVAILABLE']);
    } finally {
      await service.close();
    }
  });

  it('keeps no stale copy with CACHE_STALE_IF_ERROR_SECONDS=0', async () => {
    const sandbox = await startSandbox();
    const service = await appFor(sandbox.url, { ...options, cache: { ttlMs: 60_000, staleIfErrorMs: 0 } });
    try {
      await service.query(query);
      expire();
      await sandbox.close();
      expect(codes((await service.query(query)).body)).toEqual(['UPSTREAM_UNAVAILABLE']);
    } finally {
      await service.close();
    }
  });
});
