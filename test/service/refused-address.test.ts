import { afterEach, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { scrape } from '../helpers/metrics.js';
import { serve as listen, type Served } from '../helpers/net.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { gate, until } from '../helpers/until.js';

// One address sending a new junk token with every request: Huawei throttles by source address, so every 401 it
// is made to answer brings this service's own address closer to being throttled for every caller.

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const LIMIT = 5;

let stack: Stack;
let server: Served;
afterEach(async () => {
  await server.close();
  await stack.close();
});

/** The service over real HTTP on loopback, so that requests come from an address (127.0.0.1). */
async function serve(sandbox: { answerWhen?: () => Promise<unknown> } = {}) {
  const revoked = new Set<string>();
  stack = await startStack({ callers: { refusalsPerAddressPerMinute: LIMIT, refusalTtlMs: 60_000 }, tokenRequired: true, sandbox: { revokedTokens: revoked, ...sandbox } });
  server = await listen(stack.app);
  const url = `${server.origin}/graphql`;
  const ask = async (token: string, signal?: AbortSignal) => {
    const before = stack.sandbox.requests.length;
    const response = await fetch(url, {
      method: 'POST',
      signal: signal ?? null,
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify({ query: `{ image(projectId: "${P}", id: "${DOC}") { id } }` }),
    });
    const body = (await response.json()) as { data: { image: unknown }; errors?: Array<{ message: string; extensions: { code: string; retryAfter?: number } }> };
    return { image: body.data.image, code: body.errors?.[0]?.extensions.code, upstreamCalls: stack.sandbox.requests.length - before, error: body.errors?.[0] };
  };
  return { ask, revoked };
}

describe('upstream refusals per client address (UPSTREAM_REFUSALS_PER_ADDRESS_PER_MINUTE)', () => {
  it('stops sending new credentials from an address whose credentials keep being refused, and never stops one that works', async () => {
    const { ask, revoked } = await serve();
    expect(await ask('alice')).toMatchObject({ image: { id: DOC }, upstreamCalls: 1 });
    const junk = Array.from({ length: 2 * LIMIT }, (_, n) => `junk-${n}`);
    for (const token of junk) revoked.add(token);
    const answers = [];
    for (const token of junk) answers.push(await ask(token));
    expect(answers.map(({ code, upstreamCalls }) => [code, upstreamCalls])).toEqual([...Array(LIMIT).fill(['UNAUTHENTICATED', 1]), ...Array(LIMIT).fill(['RATE_LIMITED', 0])]);
    expect(answers.at(-1)?.error).toEqual(
      expect.objectContaining({
        message: 'ECS refused too many credentials from this address lately; a new one is not sent for a while.',
        extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
      }),
    );
    expect(answers.at(-1)?.error?.extensions.retryAfter).toBeGreaterThan(0);
    expect(answers.at(-1)?.error?.extensions.retryAfter).toBeLessThanOrEqual(60);
    // A credential that worked is not held back; a new one from the same address is, for now.
    expect(await ask('alice')).toMatchObject({ image: { id: DOC }, upstreamCalls: 1 });
    expect(await ask('bob')).toMatchObject({ image: null, code: 'RATE_LIMITED', upstreamCalls: 0 });
    const metrics = await scrape(stack.app);
    expect(metrics.value('ecs_image_graph_upstream_calls_avoided_total', { reason: 'refused_address' })).toBe(LIMIT + 1);
    expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: '401' })).toBe(LIMIT);
  });

  it('holds its limit exactly when the junk tokens come all at once: calls in flight count', async () => {
    const { ask, revoked } = await serve();
    const junk = Array.from({ length: 4 * LIMIT }, (_, n) => `at-once-${n}`);
    for (const token of junk) revoked.add(token);
    const answers = await Promise.all(junk.map((token) => ask(token)));
    const codes = answers.map(({ code }) => code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(LIMIT);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(3 * LIMIT);
    expect(stack.sandbox.requests).toHaveLength(LIMIT);
  });

  it('gives the place of a credential that works back: new valid tokens from one address are never held back', async () => {
    const { ask } = await serve();
    const answers = [];
    for (let n = 0; n < 3 * LIMIT; n += 1) answers.push(await ask(`valid-${n}`));
    expect(answers.map(({ code, upstreamCalls }) => [code, upstreamCalls])).toEqual(Array(3 * LIMIT).fill([undefined, 1]));
  });

  it('never refuses valid new tokens for being many at once: those past the limit wait for a call in flight to finish', async () => {
    const upstream = gate();
    const { ask } = await serve({ answerWhen: upstream.passed });
    const asked = Array.from({ length: 4 * LIMIT }, (_, n) => ask(`valid-at-once-${n}`));
    // The first LIMIT calls are in flight, held by the sandbox; the others wait for room, not refused.
    await until(() => stack.sandbox.inFlight === LIMIT);
    upstream.open();
    const answers = await Promise.all(asked);
    expect(answers.map(({ code }) => code)).toEqual(Array(4 * LIMIT).fill(undefined));
    expect(stack.sandbox.requests).toHaveLength(4 * LIMIT);
    expect(stack.sandbox.maxInFlight).toBe(LIMIT);
  });

  it('charges a refusal whose caller left before it came: leaving early does not get an address more calls', async () => {
    const upstream = gate();
    const { ask, revoked } = await serve({ answerWhen: upstream.passed });
    const junk = Array.from({ length: 4 * LIMIT }, (_, n) => `leaving-${n}`);
    for (const token of junk) revoked.add(token);
    // Each client hangs up once its call (or its wait for room) has begun; the sandbox answers 401 only after.
    const leaving = junk.map(() => new AbortController());
    const asked = junk.map((token, n) => ask(token, leaving[n]!.signal).catch((error: unknown) => (error as Error).name));
    await until(() => stack.sandbox.inFlight === LIMIT);
    for (const controller of leaving) controller.abort();
    expect(await Promise.all(asked)).toEqual(Array(4 * LIMIT).fill('AbortError'));
    upstream.open();
    await until(() => stack.sandbox.inFlight === 0);
    // Every place is taken by a call whose refusal was sent: a new junk token is not sent.
    revoked.add('after');
    expect(await ask('after')).toMatchObject({ code: 'RATE_LIMITED', upstreamCalls: 0 });
    expect(stack.sandbox.requests).toHaveLength(LIMIT);
  });
});
