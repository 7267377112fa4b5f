import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, type FaultName } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startStack, withStack, type Stack } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const MISSING = '00000000-0000-4000-8000-000000000000';
const REQUEST_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const TOKEN = 'MIIDtoken-that-must-never-leak-0123456789';

let stack: Stack;
beforeAll(async () => {
  // Retries come fast here; a Retry-After (1 s in the sandbox) is longer than the 300 ms cap, so it is not waited for.
  stack = await startStack({ upstream: { retries: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 300 } });
});
afterAll(() => stack.close());

const attemptsFor = (imageId: string) => stack.sandbox.requests.filter((request) => request.path.includes(imageId)).length;

describe('the error contract: one query, every fault, the healthy images still arrive', () => {
  const faults: FaultName[] = [
    'badRequest', 'unauthorized', 'forbidden', 'notFound', 'throttled', 'throttledNoRetryAfter', 'overLimit', 'errorOnce', 'error',
    'badGateway', 'unavailable', 'gatewayTimeout', 'truncated', 'wrongShape', 'html', 'reset',
  ];
  let body: Awaited<ReturnType<Stack['query']>>['body'];
  let status: number;

  beforeAll(async () => {
    stack.sandbox.requests.length = 0;
    const fields = faults.map((name) => `${name}: image(projectId: "${P}", id: "${FAULTS[name].imageId}") { osType }`);
    ({ status, body } = await stack.query(
      `{
      healthy: image(projectId: "${P}", id: "${DOC}") { osType }
      missing: image(projectId: "${P}", id: "${MISSING}") { osType }
      ${fields.join('\n')}
      list: images(projectId: "${P}", ids: ["${DOC}", "${FAULTS.error.imageId}", "${MISSING}"]) { id }
    }`,
      { headers: { 'x-auth-token': TOKEN } },
    ));
  });

  const errorAt = (path: string) => {
    const errors = (body.errors ?? []).filter((error) => error.path?.[0] === path);
    expect(errors).toHaveLength(1);
    const [{ message, extensions }] = errors as [{ message: string; extensions: Record<string, unknown> }];
    return { message, extensions };
  };

  it('answers 200 with data for what could be had', () => {
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ healthy: { osType: 'LINUX' }, missing: null, notFound: null, errorOnce: { osType: 'LINUX' } });
    expect(body.data?.['list']).toEqual([{ id: DOC }, null, null]);
  });

  it('gives exactly one error per failed image, and none for a 404', () => {
    const paths = (body.errors ?? []).map((error) => JSON.stringify(error.path)).sort();
    expect(paths).toEqual(
      ['badRequest', 'unauthorized', 'forbidden', 'throttled', 'throttledNoRetryAfter', 'overLimit', 'error', 'badGateway', 'unavailable', 'gatewayTimeout', 'truncated', 'wrongShape', 'html', 'reset']
        .map((path) => JSON.stringify([path]))
        .concat(JSON.stringify(['list', 1]))
        .sort(),
    );
    // `missing` and the list both ask for MISSING: one operation, one call.
    expect(attemptsFor(MISSING)).toBe(1);
  });

  it('never shows the caller\'s token, and forwards it on every attempt', () => {
    expect(JSON.stringify(body)).not.toContain(TOKEN);
    expect(stack.sandbox.requests.every((request) => request.headers['x-auth-token'] === TOKEN)).toBe(true);
  });

  it('masks an answer outside the contract (a 400), without retry', () => {
    expect(errorAt('badRequest')).toEqual({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(attemptsFor(FAULTS.badRequest.imageId)).toBe(1);
  });

  it('UNAUTHENTICATED for a 401, with the gateway code, and no retry', () => {
    expect(errorAt('unauthorized')).toEqual({
      message: 'ECS did not accept the credentials.',
      extensions: {
        code: 'UNAUTHENTICATED',
        upstream: { status: 401, code: 'APIGW.0301', message: 'Incorrect IAM authentication information: decrypt token fail', requestId: REQUEST_ID },
      },
    });
    expect(attemptsFor(FAULTS.unauthorized.imageId)).toBe(1);
  });

  it('FORBIDDEN for a 403, with the Huawei code, and no retry', () => {
    expect(errorAt('forbidden')).toEqual({
      message: 'ECS refused access to this image.',
      extensions: {
        code: 'FORBIDDEN',
        upstream: { status: 403, code: 'Ecs.0023', message: 'The project ID in the token does not match the one in the URL.', requestId: REQUEST_ID },
      },
    });
    expect(attemptsFor(FAULTS.forbidden.imageId)).toBe(1);
  });

  it('null and no retry for a 404 in either body family', () => {
    expect(attemptsFor(FAULTS.notFound.imageId)).toBe(1);
  });

  it('RATE_LIMITED for a 429 with Retry-After: retryAfter in seconds, not waited for past the cap', () => {
    expect(errorAt('throttled')).toEqual({
      message: 'ECS is throttling requests.',
      extensions: {
        code: 'RATE_LIMITED',
        retryAfter: 1,
        upstream: {
          status: 429,
          code: 'APIG.0308',
          message: 'The throttling threshold has been reached: policy user over ratelimit, limit:20, time:1 minute',
          requestId: REQUEST_ID,
        },
      },
    });
    expect(attemptsFor(FAULTS.throttled.imageId)).toBe(1);
  });

  it('RATE_LIMITED for a 429 without Retry-After, after the retries, and no retryAfter', () => {
    const { extensions } = errorAt('throttledNoRetryAfter');
    expect(extensions['code']).toBe('RATE_LIMITED');
    expect(extensions).not.toHaveProperty('retryAfter');
    expect(attemptsFor(FAULTS.throttledNoRetryAfter.imageId)).toBe(3);
  });

  it("RATE_LIMITED for a 413 overLimit, with Nova's retryAfter", () => {
    expect(errorAt('overLimit')).toEqual({
      message: 'ECS is throttling requests.',
      extensions: {
        code: 'RATE_LIMITED',
        retryAfter: 1,
        upstream: { status: 413, code: 'overLimit', message: 'This request was rate-limited.', requestId: REQUEST_ID },
      },
    });
  });

  it('a 500 once then success costs two attempts and answers', () => {
    expect(attemptsFor(FAULTS.errorOnce.imageId)).toBe(2);
  });

  it('UPSTREAM_UNAVAILABLE for 5xx after the retries, in every body family', () => {
    expect(errorAt('error')).toEqual({
      message: 'ECS is unavailable (HTTP 500).',
      extensions: {
        code: 'UPSTREAM_UNAVAILABLE',
        upstream: {
          status: 500,
          code: 'computeFault',
          message: 'The server has either erred or is incapable of performing the requested operation.',
          requestId: REQUEST_ID,
        },
      },
    });
    expect(errorAt('badGateway').extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 502, code: null, message: null, requestId: REQUEST_ID },
    });
    expect(errorAt('unavailable').extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 503, code: 'serviceUnavailable', message: 'Service is unavailable at this time.', requestId: REQUEST_ID },
    });
    expect(errorAt('gatewayTimeout').extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 504, code: 'APIG.0202', message: 'Backend timeout', requestId: REQUEST_ID },
    });
    for (const name of ['badGateway', 'unavailable', 'gatewayTimeout'] as const) expect(attemptsFor(FAULTS[name].imageId)).toBe(3);
    // `error` is asked for by two fields of one operation: still one call, retried twice.
    expect(attemptsFor(FAULTS.error.imageId)).toBe(3);
  });

  it('UPSTREAM_UNAVAILABLE for a reset connection, after the retries', () => {
    expect(errorAt('reset')).toEqual({ message: 'ECS could not be reached.', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(attemptsFor(FAULTS.reset.imageId)).toBe(3);
  });

  it('UPSTREAM_BAD_RESPONSE for a 2xx that is not metadata, without retry', () => {
    expect(errorAt('truncated')).toEqual({
      message: 'ECS sent a body that is not image metadata: the body is empty or cut off.',
      extensions: { code: 'UPSTREAM_BAD_RESPONSE', upstream: { status: 200, code: null, message: null, requestId: REQUEST_ID } },
    });
    expect(errorAt('wrongShape').message).toBe('ECS sent a body that is not image metadata: the body has no "metadata" object.');
    expect(errorAt('html').message).toBe('ECS sent a body that is not image metadata: the body is not valid JSON.');
    for (const name of ['truncated', 'wrongShape', 'html'] as const) {
      expect(errorAt(name).extensions['code']).toBe('UPSTREAM_BAD_RESPONSE');
      expect(attemptsFor(FAULTS[name].imageId)).toBe(1);
    }
  });
});

describe('a success body too large to be metadata', () => {
  it('is UPSTREAM_BAD_RESPONSE once past 1 MiB, without retry: real metadata is a few kilobytes', async () => {
    const HUGE = { projectId: P, imageId: '00000000-0000-4000-8000-00000000b16b', metadata: Array.from({ length: 5500 }, (_, n) => [`user_key_${n}`, 'x'.repeat(200)] as const) };
    await withStack({ images: [HUGE], upstream: { retries: 2, retryBaseDelayMs: 1 } }, async (huge) => {
      const { body } = await huge.query(`{ image(projectId: "${P}", id: "${HUGE.imageId}") { id } }`);
      expect(body).toEqual({
        data: { image: null },
        errors: [expect.objectContaining({ message: 'ECS sent a body larger than 1 MiB.', extensions: { code: 'UPSTREAM_BAD_RESPONSE', upstream: { status: 200, code: null, message: null, requestId: REQUEST_ID } } })],
      });
      expect(huge.sandbox.requests).toHaveLength(1);
    });
  });
});
