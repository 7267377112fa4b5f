import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../../src/config/index.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { AUDIENCE, ISSUER, startJwks } from '../helpers/jwks.js';
import { serve } from '../helpers/net.js';
import { appFor, withStack, type AppOptions, type Stack } from '../helpers/stack.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const WINDOWS = SAMPLE_IMAGES[1]!.imageId;
const MISSING = '00000000-0000-4000-8000-000000000000';
const CACHED: AppOptions['cache'] = { ttlMs: 60_000, notFoundTtlMs: 10_000 };
const service = (callers: Extract<AuthConfig, { mode: 'service' }>['callers']): AuthConfig => ({
  mode: 'service',
  accessKey: 'HPUAEXAMPLEAK000001',
  secretKey: 'a-service-secret-key',
  securityToken: undefined,
  allowedProjectIds: new Set([P]),
  callers,
});

/** Serves the stack's app on a loopback port and sends `query` to it (POST, or GET): the headers a cache would see. */
async function cacheHeaders(stack: Stack, query: string, options: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}) {
  const server = await serve(stack.app);
  try {
    const url = `${server.origin}/graphql`;
    const headers = { 'x-auth-token': 'alice', ...options.headers };
    const response =
      options.method === 'GET'
        ? await fetch(`${url}?query=${encodeURIComponent(query)}`, { headers: { ...headers, 'x-graphql-yoga-csrf': '1' } })
        : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
    await response.arrayBuffer();
    return { cacheControl: response.headers.get('cache-control'), vary: response.headers.get('vary') };
  } finally {
    await server.close();
  }
}

const cacheControl = async (stack: Stack, query: string) => (await cacheHeaders(stack, query)).cacheControl;

const image = (id: string, alias = 'image') => `${alias}: image(projectId: "${P}", id: "${id}") { id }`;

afterEach(() => {
  vi.useRealTimers();
});

describe('Cache-Control on every GraphQL response', () => {
  it('is private in passthrough mode, for as long as the answer stays fresh here', async () => {
    await withStack({ cache: CACHED }, async (stack) => {
      expect(await cacheControl(stack, `{ ${image(DOC)} }`)).toBe('private, max-age=60');
    });
  });

  it('is public in service mode behind network isolation, private with JWT callers', async () => {
    await withStack({ cache: CACHED, callers: { auth: service({ kind: 'network' }) } }, async (stack) => {
      expect(await cacheHeaders(stack, `{ ${image(DOC)} }`)).toEqual({ cacheControl: 'public, max-age=60', vary: 'Accept, Origin, graphql-cost' });
    });
    const jwks = await startJwks();
    try {
      await withStack({ cache: CACHED, callers: { auth: service({ kind: 'jwt', jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, jwksRefreshMs: 600_000, maxTokenAgeSeconds: 3600 }) } }, async (stack) => {
        const authorization = `Bearer ${await jwks.sign({ sub: 'alice' })}`;
        expect(await cacheHeaders(stack, `{ ${image(DOC)} }`, { headers: { authorization } })).toEqual({
          cacheControl: 'private, max-age=60',
          vary: 'Accept, Origin, graphql-cost, X-Auth-Token, Authorization',
        });
        // No JWT: the image fails, so nothing may be kept.
        expect(await cacheControl(stack, `{ ${image(DOC)} }`)).toBe('no-store');
      });
    } finally {
      await jwks.close();
    }
  });

  it('varies on the caller\'s credential when private, so that no cache, a browser\'s included, serves it to another token', async () => {
    await withStack({ cache: CACHED }, async (stack) => {
      expect(await cacheHeaders(stack, `{ ${image(DOC)} }`, { method: 'GET' })).toEqual({
        cacheControl: 'private, max-age=60',
        vary: 'Accept, Origin, graphql-cost, X-Auth-Token, Authorization',
      });
    });
  });

  it('has max-age=0 for a stale answer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sandbox = await startSandbox();
    const stale = await appFor(sandbox.url, { cache: { ttlMs: 60_000, staleIfErrorMs: 60_000 }, upstream: { retries: 0 } });
    const server = await serve(stale.app);
    try {
      const ask = () => fetch(`${server.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ ${image(DOC)} }` }) });
      expect((await ask()).headers.get('cache-control')).toBe('private, max-age=60');
      vi.setSystemTime(Date.now() + 60_000);
      await sandbox.close();
      const answer = await ask();
      expect(((await answer.json()) as { extensions?: unknown }).extensions).toMatchObject({ stale: [{ path: ['image'] }] });
      expect(answer.headers.get('cache-control')).toBe('private, max-age=0');
    } finally {
      await server.close();
      await stale.close();
    }
  });

  it('is no-store for a response with an error, and for one that read no image', async () => {
    await withStack({ cache: CACHED }, async (stack) => {
      // With no Vary: what is never stored has nothing to vary on.
      expect(await cacheHeaders(stack, `{ ${image(DOC, 'a')} ${image(FAULTS.unavailable.imageId, 'b')} }`)).toEqual({ cacheControl: 'no-store', vary: null });
      expect(await cacheControl(stack, '{ __typename }')).toBe('no-store');
      expect(await cacheControl(stack, '{ nope }')).toBe('no-store');
    });
  });

  it('has max-age=0 with the cache off', async () => {
    await withStack({ cache: { ttlMs: 0, notFoundTtlMs: 0 } }, async (stack) => {
      expect(await cacheControl(stack, `{ ${image(DOC)} }`)).toBe('private, max-age=0');
    });
  });

  it('takes the shortest remaining TTL of the images read', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await withStack({ cache: CACHED }, async (stack) => {
      // A missing image is kept 10 s, an image 60 s.
      expect(await cacheControl(stack, `{ ${image(DOC, 'a')} ${image(MISSING, 'b')} }`)).toBe('private, max-age=10');
      vi.setSystemTime(Date.now() + 20_000);
      // DOC, from the cache, has 40 s left; WINDOWS, just fetched, 60.
      expect(await cacheControl(stack, `{ ${image(DOC, 'a')} ${image(WINDOWS, 'b')} }`)).toBe('private, max-age=40');
      expect(stack.sandbox.requests).toHaveLength(3);
    });
  });
});
