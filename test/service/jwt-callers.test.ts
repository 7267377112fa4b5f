import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/config/index.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE, ISSUER, startJwks, type Jwks } from '../helpers/jwks.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// Service mode with JWT callers: what a JWT must be, and what callers see when the identity provider is down.

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const KEY = { accessKey: 'HPUAEXAMPLEAK000001', secretKey: 'the-service-secret-key-never-to-be-seen' };
const MAX_AGE = 3600; // '1h'

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accessKeys: [KEY] });
});
afterAll(() => sandbox.close());

/** The service in front of the sandbox, its callers' keys at `jwks`. */
function serviceFor(jwks: Jwks): Promise<TestApp> {
  const auth: AuthConfig = {
    mode: 'service',
    ...KEY,
    securityToken: undefined,
    allowedProjectIds: new Set([P]),
    callers: { kind: 'jwt', jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, jwksRefreshMs: 600_000, maxTokenAgeSeconds: MAX_AGE },
  };
  return appFor(sandbox.url, { callers: { auth } });
}

async function ask(service: TestApp, jwt: string) {
  const before = sandbox.requests.length;
  const { status, body } = await service.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { authorization: `Bearer ${jwt}` } });
  return { status, body, upstreamCalls: sandbox.requests.length - before };
}

describe('a caller JWT', () => {
  let jwks: Jwks;
  let service: TestApp;
  beforeAll(async () => {
    jwks = await startJwks();
    service = await serviceFor(jwks);
  });
  afterAll(async () => {
    await service.close();
    await jwks.close();
  });

  const refused = (message: string) => ({
    status: 200,
    body: { data: { image: null }, errors: [{ message: `The JWT was not accepted: ${message}`, locations: [{ line: 1, column: 3 }], path: ['image'], extensions: { code: 'UNAUTHENTICATED' } }] },
    upstreamCalls: 0,
  });

  it('is accepted with a subject and a lifetime within JWT_MAX_AGE_SECONDS, with or without iat', async () => {
    expect(await ask(service, await jwks.sign({ sub: 'alice' }, { expiresIn: '1h' }))).toMatchObject({ body: { data: { image: { id: DOC } } }, upstreamCalls: 1 });
    expect(await ask(service, await jwks.sign({ sub: 'bob' }, { expiresIn: '10m', issuedAt: false }))).toMatchObject({ body: { data: { image: { id: DOC } } }, upstreamCalls: 1 });
  });

  it('is refused with an empty or non-string subject: it would share one allowance with every such token', async () => {
    expect(await ask(service, await jwks.sign({ sub: '' }))).toEqual(refused('its "sub" claim must be a non-empty string.'));
    expect(await ask(service, await jwks.sign({ sub: '   ' }))).toEqual(refused('its "sub" claim must be a non-empty string.'));
    expect(await ask(service, await jwks.sign({ sub: 123 } as never))).toEqual(refused('its "sub" claim must be a non-empty string.'));
  });

  it('is refused when it lives longer than JWT_MAX_AGE_SECONDS: a 100-year token is a password that never changes', async () => {
    const century = 100 * 365.25 * 86_400; // jose's year
    expect(await ask(service, await jwks.sign({ sub: 'mallory' }, { expiresIn: '100y' }))).toEqual(refused(`it is valid for ${century} s, more than the ${MAX_AGE} s allowed (JWT_MAX_AGE_SECONDS).`));
    const issuedAt = Math.floor(Date.now() / 1000) - 60;
    expect(await ask(service, await jwks.sign({ sub: 'mallory' }, { issuedAt, expiresIn: issuedAt + MAX_AGE + 1 }))).toEqual(refused(`it is valid for ${MAX_AGE + 1} s, more than the ${MAX_AGE} s allowed (JWT_MAX_AGE_SECONDS).`));
    expect(await ask(service, await jwks.sign({ sub: 'mallory' }, { expiresIn: '2d', issuedAt: false }))).toMatchObject({ body: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] }, upstreamCalls: 0 });
    // Issued "in a century", valid for an hour from then: valid for a century from now.
    const future = Math.floor(Date.now() / 1000) + century;
    const { body } = await ask(service, await jwks.sign({ sub: 'mallory' }, { issuedAt: future, expiresIn: future + 3600 }));
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^The JWT was not accepted: it is valid for \d+ s, more than the 3600 s allowed/), extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('without a kid, is checked against each key of its algorithm in the set (two during a rotation): accepted when one signed it', async () => {
    expect(await ask(service, await jwks.sign({ sub: 'carol' }, { keyId: null, key: jwks.nextKey }))).toMatchObject({ body: { data: { image: { id: DOC } } }, upstreamCalls: 1 });
    expect(await ask(service, await jwks.sign({ sub: 'carol' }, { keyId: null }))).toMatchObject({ body: { data: { image: { id: DOC } } }, upstreamCalls: 1 });
    expect(await ask(service, await jwks.sign({ sub: 'mallory' }, { keyId: null, key: jwks.strangerKey }))).toEqual(refused('its signature does not verify.'));
  });
});

describe('the identity provider down', () => {
  it('with no key known: every request fails with IDENTITY_PROVIDER_UNAVAILABLE (not an internal error), no upstream call, one fetch', async () => {
    const jwks = await startJwks();
    jwks.behave('hang');
    const service = await serviceFor(jwks);
    try {
      const jwt = await jwks.sign({ sub: 'alice' });
      const answers = await Promise.all([ask(service, jwt), ask(service, jwt), ask(service, jwt)]);
      for (const answer of answers) {
        expect(answer).toEqual({
          status: 200,
          body: {
            data: { image: null },
            errors: [
              {
                message: 'No key can be had to check the JWT: the key set that signs them (JWT_JWKS_URL) cannot be fetched now.',
                locations: [{ line: 1, column: 3 }],
                path: ['image'],
                extensions: { code: 'IDENTITY_PROVIDER_UNAVAILABLE', retryAfter: expect.any(Number) },
              },
            ],
          },
          upstreamCalls: 0,
        });
      }
      // The first request's fetch still hangs: the others shared it.
      expect(jwks.fetches).toBe(1);
    } finally {
      await service.close();
      await jwks.close();
    }
  });
});
