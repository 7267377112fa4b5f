import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { captureLogs } from '../helpers/logs.js';
import { scrape } from '../helpers/metrics.js';
import { metadataPath, withStack, type AppOptions, type Stack } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const image = (id: string, alias = 'image') => `${alias}: image(projectId: "${P}", id: "${id}") { id }`;

afterEach(() => {
  vi.useRealTimers();
});

const codes = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (body.errors ?? []).map((error) => error.extensions?.['code']);
const attemptsFor = (stack: Stack, imageId: string) => stack.sandbox.requests.filter((request) => request.path.includes(imageId)).length;

describe('timeouts', () => {
  it('times out a hung attempt, retries, then answers UPSTREAM_TIMEOUT; every abandoned socket is closed', async () => {
    await withStack({ upstream: { attemptTimeoutMs: 150, retries: 2, retryBaseDelayMs: 1 } }, async (stack) => {
      const { body } = await stack.query(`{ ${image(FAULTS.hang.imageId, 'hung')} ${image(DOC, 'healthy')} }`);
      expect(body).toEqual({
        data: { hung: null, healthy: { id: DOC } },
        errors: [{ message: 'ECS did not answer in time.', locations: [{ line: 1, column: 3 }], path: ['hung'], extensions: { code: 'UPSTREAM_TIMEOUT' } }],
      });
      expect(attemptsFor(stack, FAULTS.hang.imageId)).toBe(3);
      // The healthy image's call may time out too on a loaded machine (150 ms), then succeed when retried: each of
      // its attempts but the last is one more timeout.
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: 'timeout' })).toBe(3 + attemptsFor(stack, DOC) - 1);
      // The sandbox sees each hung request closed by the client; if a socket leaked, this would never resolve.
      await stack.sandbox.whenIdle();
      expect(stack.sandbox.inFlight).toBe(0);
    });
  });

  it("holds no response past the operation's deadline, even when attempts may take far longer", async () => {
    const deadlineMs = 600;
    await withStack({ limits: { deadlineMs }, upstream: { attemptTimeoutMs: 60_000, retries: 2 } }, async (stack) => {
      const started = performance.now();
      const { body } = await stack.query(`{ ${image(FAULTS.hang.imageId, 'hung')} ${image(DOC, 'healthy')} }`);
      const elapsed = performance.now() - started;
      expect(body).toEqual({
        data: { hung: null, healthy: { id: DOC } },
        errors: [
          {
            message: "The operation's deadline passed before ECS answered.",
            locations: [{ line: 1, column: 3 }],
            path: ['hung'],
            extensions: { code: 'UPSTREAM_TIMEOUT' },
          },
        ],
      });
      expect(attemptsFor(stack, FAULTS.hang.imageId)).toBe(1);
      // An attempt cut by the operation's deadline is cancelled, not timed out: its own timeout had a minute left.
      const outcomes = await scrape(stack.app);
      expect(['timeout', 'cancelled'].map((outcome) => outcomes.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome }))).toEqual([0, 1]);
      // Without the deadline this would take a minute: the bound is wide on purpose, the point is "not 60 s".
      expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 5);
      expect(elapsed).toBeLessThan(deadlineMs + 2000);
      await stack.sandbox.whenIdle();
    });
  });

  it('abandons calls still queued for a connection slot when the deadline passes', async () => {
    await withStack({ limits: { deadlineMs: 400 }, upstream: { maxConnections: 1, attemptTimeoutMs: 60_000 } }, async (stack) => {
      // The one connection slot is taken by the hung call; the healthy image waits for it, then gives up.
      const { body } = await stack.query(`{ ${image(FAULTS.hang.imageId, 'hung')} ${image(DOC, 'queued')} }`);
      expect(body.data).toEqual({ hung: null, queued: null });
      expect(body.errors?.map((error) => [error.path, error.extensions?.['code']])).toEqual([
        [['hung'], 'UPSTREAM_TIMEOUT'],
        [['queued'], 'UPSTREAM_TIMEOUT'],
      ]);
      // Nor is it called once the slot is free: the next call the upstream sees is the next operation's.
      const WINDOWS = '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
      expect((await stack.query(`{ ${image(WINDOWS)} }`)).body).toEqual({ data: { image: { id: WINDOWS } } });
      expect(stack.sandbox.requests.map(({ path }) => path)).toEqual([metadataPath(P, FAULTS.hang.imageId), metadataPath(P, WINDOWS)]);
    });
  });

  it('a slow answer within the attempt timeout arrives; beyond it, times out', async () => {
    await withStack({ sandbox: { slowMs: 100 }, upstream: { attemptTimeoutMs: 3000 } }, async (stack) => {
      const { body } = await stack.query(`{ ${image(FAULTS.slow.imageId)} }`);
      expect(body).toEqual({ data: { image: { id: FAULTS.slow.imageId } } });
    });
    await withStack({ sandbox: { slowMs: 1000 }, upstream: { attemptTimeoutMs: 100, retries: 0 } }, async (stack) => {
      const { body } = await stack.query(`{ ${image(FAULTS.slow.imageId)} }`);
      expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual(['UPSTREAM_TIMEOUT']);
      expect(attemptsFor(stack, FAULTS.slow.imageId)).toBe(1);
      await stack.sandbox.whenIdle();
    });
  });
});

describe('retries', () => {
  it('honours a Retry-After that fits under the cap, exactly, then reports RATE_LIMITED', async () => {
    await withStack({ upstream: { retries: 1, retryMaxDelayMs: 2000 } }, async (stack) => {
      const started = performance.now();
      const { body } = await stack.query(`{ ${image(FAULTS.throttled.imageId)} }`);
      const elapsed = performance.now() - started;
      expect(body.errors?.map((error) => [error.extensions?.['code'], error.extensions?.['retryAfter']])).toEqual([['RATE_LIMITED', 1]]);
      expect(attemptsFor(stack, FAULTS.throttled.imageId)).toBe(2);
      // The sandbox asks for 1 s: the retry came no sooner.
      expect(elapsed).toBeGreaterThanOrEqual(995);
    });
  });

  it('does not wait out a Retry-After that would pass the deadline', async () => {
    await withStack({ limits: { deadlineMs: 500 }, upstream: { retries: 2, retryMaxDelayMs: 5000 } }, async (stack) => {
      const { body } = await stack.query(`{ ${image(FAULTS.overLimit.imageId)} }`);
      expect(body.errors?.map((error) => [error.extensions?.['code'], error.extensions?.['retryAfter']])).toEqual([['RATE_LIMITED', 1]]);
      expect(attemptsFor(stack, FAULTS.overLimit.imageId)).toBe(1);
    });
  });
});

describe('credentials', () => {
  it('refuses a call without X-Auth-Token when the upstream needs one, without calling it', async () => {
    await withStack({ tokenRequired: true }, async (stack) => {
      const anonymous = await stack.query(`{ ${image(DOC)} }`);
      expect(anonymous.body).toEqual({
        data: { image: null },
        errors: [
          {
            message: 'No credential: send an IAM token in the X-Auth-Token header.',
            locations: [{ line: 1, column: 3 }],
            path: ['image'],
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
      expect(stack.sandbox.requests).toEqual([]);
      const signedIn = await stack.query(`{ ${image(DOC)} }`, { headers: { 'x-auth-token': 'a-token' } });
      expect(signedIn.body).toEqual({ data: { image: { id: DOC } } });
      expect(stack.sandbox.requests).toHaveLength(1);
    });
  });
});

/** The circuit's state as /metrics says it: 0 closed, 1 half-open, 2 open. */
const circuitState = async (stack: Stack) => (await scrape(stack.app)).value('ecs_image_graph_upstream_circuit_state', { backend: 'ecs' });

describe('circuit breaker', () => {
  const options: AppOptions = { upstream: { retries: 0, circuit: { failureRate: 0.5, windowMs: 60_000, minCalls: 10, halfOpenAfterMs: 30_000 } } };
  const healthyIds = Array.from({ length: 30 }, (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
  const images = healthyIds.map((imageId) => ({ projectId: P, imageId, metadata: DOCUMENTED_IMAGE.metadata }));

  it('stays closed when a few images fail among many healthy ones', async () => {
    await withStack({ ...options, images }, async (stack) => {
      const failing = [FAULTS.error, FAULTS.unavailable, FAULTS.reset].map((fault) => fault.imageId);
      const { body } = await stack.query(`{ images(projectId: "${P}", ids: ${JSON.stringify([...failing, ...healthyIds])}) { id } }`);
      expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
      expect((body.data?.['images'] as unknown[]).filter((item) => item !== null)).toHaveLength(30);
      expect(await circuitState(stack)).toBe(0);
    });
  });

  it('opens on a high failure rate, fails fast without calling, then half-opens and closes on success', async () => {
    // The breaker's clock is Date's: the test moves it past halfOpenAfterMs instead of waiting.
    vi.useFakeTimers({ toFake: ['Date'] });
    const logs = captureLogs();
    await withStack({ ...options, logger: logs.logger }, async (stack) => {
      for (let n = 0; n < 9; n += 1) await stack.query(`{ ${image(FAULTS.error.imageId)} }`);
      expect(await circuitState(stack)).toBe(0);
      await stack.query(`{ ${image(FAULTS.error.imageId)} }`);
      expect(await circuitState(stack)).toBe(2);
      const callsWhenOpened = stack.sandbox.requests.length;
      expect(callsWhenOpened).toBe(10);

      const open = await stack.query(`{ ${image(DOC)} }`);
      expect(open.body).toEqual({
        data: { image: null },
        errors: [
          {
            message: 'ECS is failing; calls to it are paused for a few seconds.',
            locations: [{ line: 1, column: 3 }],
            path: ['image'],
            extensions: { code: 'UPSTREAM_UNAVAILABLE' },
          },
        ],
      });
      expect(stack.sandbox.requests).toHaveLength(callsWhenOpened);

      vi.setSystemTime(Date.now() + 29_999);
      expect((await stack.query(`{ ${image(DOC)} }`)).body.data).toEqual({ image: null });
      expect(stack.sandbox.requests).toHaveLength(callsWhenOpened);
      vi.setSystemTime(Date.now() + 1);
      const trial = await stack.query(`{ ${image(DOC)} }`);
      expect(trial.body).toEqual({ data: { image: { id: DOC } } });
      expect(stack.sandbox.requests).toHaveLength(callsWhenOpened + 1);
      expect(await circuitState(stack)).toBe(0);
      expect(logs.lines.filter((line) => 'circuit' in line).map(({ level, msg }) => ({ level, msg }))).toEqual([
        { level: 50, msg: 'circuit open: ECS is failing; calls fail fast for a while' },
        { level: 30, msg: 'circuit half-open' },
        { level: 30, msg: 'circuit closed' },
      ]);
    });
  });
});

describe('circuit breaker and deadlines', () => {
  it("does not count calls cut by the operation's deadline: that is the caller's budget running out, not the upstream failing", async () => {
    const circuit = { failureRate: 0.5, windowMs: 60_000, minCalls: 3, halfOpenAfterMs: 60_000 };
    await withStack({ limits: { deadlineMs: 100 }, upstream: { retries: 0, attemptTimeoutMs: 60_000, circuit } }, async (stack) => {
      for (let n = 0; n < 3; n += 1) expect(codes((await stack.query(`{ ${image(FAULTS.hang.imageId)} }`)).body)).toEqual(['UPSTREAM_TIMEOUT']);
      expect(await circuitState(stack)).toBe(0);
      expect((await stack.query(`{ ${image(DOC)} }`)).body).toEqual({ data: { image: { id: DOC } } });
      await stack.sandbox.whenIdle();
    });
  });
});

describe('global concurrency cap', () => {
  it('queues calls beyond UPSTREAM_MAX_CONNECTIONS across operations instead of sending them', async () => {
    await withStack({ sandbox: { slowMs: 200 }, upstream: { maxConnections: 2 } }, async (stack) => {
      const query = `{ ${image(FAULTS.slow.imageId)} }`;
      // Four callers with their own tokens: identical calls of one caller would be shared, not queued.
      const answers = await Promise.all([1, 2, 3, 4].map((n) => stack.query(query, { headers: { 'x-auth-token': `token-${n}` } })));
      expect(answers.map(({ body }) => body)).toEqual(Array(4).fill({ data: { image: { id: FAULTS.slow.imageId } } }));
      expect(stack.sandbox.requests).toHaveLength(4);
      expect(stack.sandbox.maxInFlight).toBe(2);
    });
  });
});

describe('bad GraphQL input', () => {
  it.each([
    ['a syntax error', { query: '{ image(projectId: 1) { id ' }, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', { query: `{ ${image(DOC).replace('{ id }', '{ nope }')} }` }, 'GRAPHQL_VALIDATION_FAILED'],
    ['a wrong variable type', { query: 'query ($p: ID!) { image(projectId: $p, id: "x") { id } }', variables: { p: { a: 1 } } }, 'BAD_USER_INPUT'],
    ['a missing variable', { query: 'query ($p: ID!) { image(projectId: $p, id: "x") { id } }' }, 'BAD_USER_INPUT'],
    ['a list where a scalar goes', { query: `{ image(projectId: ["${P}"], id: "${DOC}") { id } }` }, 'GRAPHQL_VALIDATION_FAILED'],
  ])('%s is refused with a standard error and no upstream call: 400 for graphql-response+json, 200 for application/json', async (_name, request, code) => {
    await withStack({}, async (stack) => {
      // As GraphQL over HTTP asks; `*/*` gets application/json.
      for (const [accept, status] of [['application/json', 200], ['application/graphql-response+json', 400], ['*/*', 200]] as const) {
        const response = await stack.app.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept },
          body: JSON.stringify(request),
        });
        expect(response.status).toBe(status);
        const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
        expect(body.data).toBeUndefined();
        expect(body.errors.map((error) => error.extensions.code)).toEqual([code]);
      }
      expect(stack.sandbox.requests).toEqual([]);
    });
  });

  it('answers a body that is not JSON with 400 BAD_REQUEST and no parser internals', async () => {
    await withStack({}, async (stack) => {
      const response = await stack.app.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    });
  });
});
