import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../src/config.js';
import { FAULTS } from '../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../src/sandbox/samples.js';
import { withStack, type AppOptions, type Stack } from './helpers/stack.js';

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

/** Serves the stack's app on a loopback port and POSTs `query` to it: the Cache-Control header a gateway would see. */
async function cacheControl(stack: Stack, query: string): Promise<string | null> {
  const server = createServer(stack.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 'alice' },
      body: JSON.stringify({ query }),
    });
    await response.arrayBuffer();
    return response.headers.get('cache-control');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

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
    await withStack({ cache: CACHED, auth: service({ kind: 'network' }) }, async (stack) => {
      expect(await cacheControl(stack, `{ ${image(DOC)} }`)).toBe('public, max-age=60');
    });
    const jwt = service({ kind: 'jwt', jwksUrl: new URL('http://127.0.0.1:9/jwks.json'), issuer: 'https://auth.example.test/', audience: 'ecs-image-graph' });
    await withStack({ cache: CACHED, auth: jwt }, async (stack) => {
      // No JWT: the image fails, so nothing may be kept.
      expect(await cacheControl(stack, `{ ${image(DOC)} }`)).toBe('no-store');
      expect(stack.services.appDeps.cacheVisibility).toBe('private');
    });
  });

  it('is no-store for a response with an error, and for one that read no image', async () => {
    await withStack({ cache: CACHED }, async (stack) => {
      expect(await cacheControl(stack, `{ ${image(DOC, 'a')} ${image(FAULTS.unavailable.imageId, 'b')} }`)).toBe('no-store');
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
