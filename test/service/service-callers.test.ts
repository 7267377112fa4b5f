import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/config/index.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE, ISSUER, startJwks, type Jwks } from '../helpers/jwks.js';
import { captureLogs } from '../helpers/logs.js';
import { freePort } from '../helpers/redis.js';
import { appFor, startInProcess, type TestApp } from '../helpers/stack.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const KEY = { accessKey: 'HPUAEXAMPLEAK000001', secretKey: 'the-service-secret-key-never-to-be-seen' };
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let sandbox: Sandbox;
let jwks: Jwks;
let service: TestApp;
const logs = captureLogs('debug');
const jwt = (claims: JWTPayload, options?: Parameters<Jwks['sign']>[1]) => jwks.sign(claims, options);

/** Service mode with the service's key, callers proving who they are with a JWT whose keys are at `jwksUrl`. */
const jwtCallers = (jwksUrl: URL): AuthConfig => ({
  mode: 'service',
  ...KEY,
  securityToken: undefined,
  allowedProjectIds: new Set([P]),
  callers: { kind: 'jwt', jwksUrl, issuer: ISSUER, audience: AUDIENCE, jwksRefreshMs: 600_000, maxTokenAgeSeconds: 3600 },
});

beforeAll(async () => {
  jwks = await startJwks();
  sandbox = await startSandbox({ accessKeys: [KEY] });
  service = await appFor(sandbox.url, {
    logger: logs.logger,
    // Long windows, so that the counts are exact.
    callers: { auth: jwtCallers(jwks.url), rate: { calls: 2, windowSeconds: 3600, burst: 0, burstWindowSeconds: 3600 } },
  });
}, 30_000);
afterAll(async () => {
  await service.close();
  await sandbox.close();
  await jwks.close();
});

async function ask(ids: string[], authorization?: string) {
  sandbox.requests.length = 0;
  const { body } = await service.query(`{ images(projectId: "${P}", ids: ${JSON.stringify(ids)}) { id osType } }`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { body, upstreamCalls: sandbox.requests.length };
}

describe('AUTH_MODE=service with SERVICE_CALLER_AUTH=jwt', () => {
  it('serves a caller with a valid JWT, signing the call with the service key', async () => {
    const { body, upstreamCalls } = await ask([DOC], `Bearer ${await jwt({ sub: 'alice' })}`);
    expect(body).toEqual({ data: { images: [{ id: DOC, osType: 'LINUX' }] } });
    expect(upstreamCalls).toBe(1);
    expect(sandbox.requests[0]?.headers['authorization']).toMatch(/^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK000001, /);
  });

  it.each([
    ['no Authorization header', async () => undefined, 'No credential: send a JWT in the Authorization header (Bearer).'],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt', 'The JWT was not accepted: it is not a well-formed JWT.'],
    ['a JWT signed by another key', async () => `Bearer ${await jwt({ sub: 'mallory' }, { key: jwks.strangerKey })}`, 'The JWT was not accepted: its signature does not verify.'],
    ['an expired JWT', async () => `Bearer ${await jwt({ sub: 'alice' }, { expiresIn: '-1m' })}`, 'The JWT was not accepted: it has expired.'],
    ['another audience', async () => `Bearer ${await jwt({ sub: 'alice' }, { audience: 'another-service' })}`, 'The JWT was not accepted: its "aud" claim is wrong or missing.'],
    ['another issuer', async () => `Bearer ${await jwt({ sub: 'alice' }, { issuer: 'https://evil.example.test/' })}`, 'The JWT was not accepted: its "iss" claim is wrong or missing.'],
    ['no subject', async () => `Bearer ${await jwt({})}`, 'The JWT was not accepted: its "sub" claim is wrong or missing.'],
    [
      'an unsigned JWT (alg: none)',
      async () => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })).toString('base64url')}.`,
      'The JWT was not accepted: its algorithm is not allowed.',
    ],
  ])('refuses %s with UNAUTHENTICATED and no upstream call', async (_name, authorization, message) => {
    const { body, upstreamCalls } = await ask([DOC, uuid(1)], await authorization());
    expect(upstreamCalls).toBe(0);
    expect(body.data).toEqual({ images: [null, null] });
    expect(body.errors?.map((error) => ({ message: error.message, code: error.extensions?.['code'] }))).toEqual(Array(2).fill({ message, code: 'UNAUTHENTICATED' }));
  });

  it('keys the rate limit on the JWT subject', async () => {
    const alice = await ask([uuid(11), uuid(12), uuid(13)], `Bearer ${await jwt({ sub: 'rate-alice' })}`);
    expect(alice.upstreamCalls).toBe(2);
    expect(alice.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['RATE_LIMITED']);
    const aliceAgain = await ask([uuid(14)], `Bearer ${await jwt({ sub: 'rate-alice' })}`);
    expect(aliceAgain.upstreamCalls).toBe(0);
    const bob = await ask([uuid(11), uuid(12)], `Bearer ${await jwt({ sub: 'rate-bob' })}`);
    expect(bob.upstreamCalls).toBe(2);
  });

  it("serves every caller from one cache, as every call is the service's own: what alice fetched answers bob without a call", async () => {
    const cached = await appFor(sandbox.url, { callers: { auth: jwtCallers(jwks.url) }, cache: { ttlMs: 60_000 } });
    try {
      sandbox.requests.length = 0;
      const query = `{ image(projectId: "${P}", id: "${DOC}") { id osType } }`;
      const answers = [];
      for (const sub of ['cache-alice', 'cache-bob']) answers.push((await cached.query(query, { headers: { authorization: `Bearer ${await jwt({ sub })}` } })).body);
      expect(answers).toEqual(Array(2).fill({ data: { image: { id: DOC, osType: 'LINUX' } } }));
      expect(sandbox.requests).toHaveLength(1);
    } finally {
      await cached.close();
    }
  });

  it("a key set that cannot be fetched: IDENTITY_PROVIDER_UNAVAILABLE, not blamed on the caller, and the cause logged for the operator", async () => {
    const keysLogs = captureLogs();
    const unreachable = new URL(`http://127.0.0.1:${await freePort()}/jwks.json`);
    const broken = await appFor(sandbox.url, { callers: { auth: jwtCallers(unreachable) }, logger: keysLogs.logger });
    try {
      sandbox.requests.length = 0;
      const { body } = await broken.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { authorization: `Bearer ${await jwt({ sub: 'alice' })}` } });
      expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual(['IDENTITY_PROVIDER_UNAVAILABLE']);
      expect(sandbox.requests).toHaveLength(0);
      const warning = await keysLogs.waitFor((line) => line['level'] === 40 && line['jwksUrl'] === unreachable.href);
      expect(warning).toMatchObject({ msg: 'the JWT key set could not be fetched: JWTs cannot be checked until it is', cause: `connect ECONNREFUSED 127.0.0.1:${unreachable.port}`, failedFetches: 1 });
    } finally {
      await broken.close();
    }
  });

  it('never logs a JWT', async () => {
    const token = await jwt({ sub: 'logged-alice' });
    await ask([DOC, '00000000-0000-4000-8000-0000000000ff'], `Bearer ${token}`);
    await ask([DOC], `Bearer ${token.slice(0, -4)}AAAA`);
    expect(logs.raw.length).toBeGreaterThan(0);
    expect(logs.raw.join('\n')).not.toContain(token.split('.')[2]);
  });
});

describe('SERVICE_CALLER_AUTH=network', () => {
  it('starts, warning that callers are not authenticated', async () => {
    const startLogs = captureLogs();
    const auth: AuthConfig = { mode: 'service', ...KEY, securityToken: undefined, allowedProjectIds: new Set([P]), callers: { kind: 'network' } };
    const running = await startInProcess(sandbox.url, { callers: { auth }, logger: startLogs.logger });
    try {
      expect(startLogs.lines.filter((line) => line['level'] === 40).map((line) => line['msg'])).toEqual([
        "SERVICE_CALLER_AUTH=network: callers are not authenticated, and every one spends this service's AK/SK. Make sure that only the gateway can reach this service.",
      ]);
      const answer = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ image(projectId: "${P}", id: "${DOC}") { id } }` }) });
      expect(await answer.json()).toEqual({ data: { image: { id: DOC } } });
    } finally {
      await running.stop();
    }
  });
});
