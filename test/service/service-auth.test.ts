import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/config/index.js';
import { credentialHeaders } from '../../src/upstream/credentials.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { appFor, metadataPath } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const OTHER_PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const KEY = { accessKey: 'HPUAEXAMPLEAK000001', secretKey: 'the-service-secret-key-never-to-be-seen' };
const QUERY = `{ image(projectId: "${P}", id: "${DOC}") { id osType } }`;

const serviceAuth = (overrides: Partial<Extract<AuthConfig, { mode: 'service' }>> = {}): AuthConfig => ({
  mode: 'service',
  accessKey: KEY.accessKey,
  secretKey: KEY.secretKey,
  securityToken: undefined,
  allowedProjectIds: new Set([P]),
  callers: { kind: 'network' },
  ...overrides,
});

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accessKeys: [KEY] });
});
afterAll(() => sandbox.close());

describe('AUTH_MODE=service', () => {
  it("signs every call with the service's AK/SK, which the sandbox verifies, and forwards no caller token", async () => {
    sandbox.requests.length = 0;
    const service = await appFor(sandbox.url, { callers: { auth: serviceAuth() }, tokenRequired: true });
    try {
      const { body } = await service.query(QUERY, { headers: { 'x-auth-token': 'a-caller-token' } });
      expect(body).toEqual({ data: { image: { id: DOC, osType: 'LINUX' } } });
      const [seen] = sandbox.requests;
      expect(seen?.path).toBe(metadataPath(P, DOC));
      expect(seen?.headers['x-auth-token']).toBeUndefined();
      expect(seen?.headers['x-project-id']).toBe(P);
      expect(seen?.headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(seen?.headers['authorization']).toMatch(
        /^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK000001, SignedHeaders=host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
      );
      expect(seen?.headers['x-security-token']).toBeUndefined();
    } finally {
      await service.close();
    }
  });

  it('sends and signs X-Security-Token for temporary credentials', async () => {
    sandbox.requests.length = 0;
    const service = await appFor(sandbox.url, { callers: { auth: serviceAuth({ securityToken: 'sts-temporary-token' }) } });
    try {
      expect((await service.query(QUERY)).body).toEqual({ data: { image: { id: DOC, osType: 'LINUX' } } });
      expect(sandbox.requests[0]?.headers['x-security-token']).toBe('sts-temporary-token');
      expect(sandbox.requests[0]?.headers['authorization']).toContain('SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,');
    } finally {
      await service.close();
    }
  });

  it('answers UNAUTHENTICATED, with the gateway code, when the signature is wrong; no secret, token or signature shows anywhere', async () => {
    const logs = captureLogs('debug');
    // A temporary credential: Huawei's gateway echoes the canonical request of a bad signature, its X-Security-Token included.
    const securityToken = 'gQpjbi1ub3J0aC00jGn4cSYM7xkTZGCR5yWcWRsLrZhHuBaRmYnNpbmVzc1F0ZW1wb3JhcnktY3JlZGVudGlhbHM';
    const service = await appFor(sandbox.url, { callers: { auth: serviceAuth({ secretKey: 'a-wrong-secret-key', securityToken }) }, logger: logs.logger });
    try {
      const { body } = await service.query(QUERY);
      expect(body).toEqual({
        data: { image: null },
        errors: [
          {
            message: 'ECS did not accept the credentials.',
            locations: [{ line: 1, column: 3 }],
            path: ['image'],
            extensions: {
              code: 'UNAUTHENTICATED',
              upstream: { status: 401, code: 'APIGW.0303', message: 'Incorrect app authentication information: verify aksk signature fail…', requestId: expect.any(String) },
            },
          },
        ],
      });
      const everything = JSON.stringify(body) + logs.raw.join('');
      for (const secret of ['a-wrong-secret-key', KEY.secretKey, sandbox.requests.at(-1)?.headers['authorization']?.split('Signature=')[1] ?? 'no signature']) expect(everything).not.toContain(secret);
      // No part of the token: not even a twelfth of it.
      for (let start = 0; start + 12 <= securityToken.length; start += 1) expect(everything).not.toContain(securityToken.slice(start, start + 12));
    } finally {
      await service.close();
    }
  });

  it('refuses a project outside ALLOWED_PROJECT_IDS with FORBIDDEN and no upstream call', async () => {
    sandbox.requests.length = 0;
    const service = await appFor(sandbox.url, { callers: { auth: serviceAuth() } });
    try {
      const { body } = await service.query(`{
        allowed: image(projectId: "${P}", id: "${DOC}") { id }
        other: image(projectId: "${OTHER_PROJECT}", id: "${DOC}") { id }
        list: images(projectId: "${OTHER_PROJECT}", ids: ["${DOC}"]) { id }
      }`);
      expect(body.data).toEqual({ allowed: { id: DOC }, other: null, list: [null] });
      expect(body.errors?.map(({ message, path, extensions }) => ({ message, path, extensions }))).toEqual([
        { message: `This service is not allowed to read project ${OTHER_PROJECT}.`, path: ['other'], extensions: { code: 'FORBIDDEN' } },
        { message: `This service is not allowed to read project ${OTHER_PROJECT}.`, path: ['list', 0], extensions: { code: 'FORBIDDEN' } },
      ]);
      expect(sandbox.requests.map((seen) => seen.path)).toEqual([metadataPath(P, DOC)]);
    } finally {
      await service.close();
    }
  });
});

describe('the sandbox checks signatures as the gateway does', () => {
  async function signedGet(date: Date, key = KEY) {
    const path = metadataPath(P, DOC);
    const headers = credentialHeaders({ kind: 'access-key', key, securityToken: undefined }, { host: sandbox.url.host, path, projectId: P, now: date });
    const response = await request(new URL(path, sandbox.url), { headers });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  }

  it('accepts a signature made within 15 minutes of its clock', async () => {
    expect((await signedGet(new Date(Date.now() - 14 * 60_000))).status).toBe(200);
    expect((await signedGet(new Date(Date.now() + 14 * 60_000))).status).toBe(200);
  });

  it('refuses an X-Sdk-Date more than 15 minutes off and no signature with APIGW.0301, and a wrong secret with APIGW.0303 echoing the canonical request, as the gateway does', async () => {
    const stale = await signedGet(new Date(Date.now() - 16 * 60_000));
    expect(stale).toEqual({
      status: 401,
      body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: X-Sdk-Date is missing or more than 15 minutes off', request_id: expect.any(String) },
    });
    expect((await signedGet(new Date(Date.now() + 16 * 60_000))).status).toBe(401);
    const forged = await signedGet(new Date(), { ...KEY, secretKey: 'guessed' });
    expect(forged).toEqual({
      status: 401,
      body: {
        error_code: 'APIGW.0303',
        error_msg: expect.stringMatching(
          new RegExp(`^Incorrect app authentication information: verify aksk signature fail, SignedHeaders:host;x-project-id;x-sdk-date, CanonicalRequest:GET\\n${metadataPath(P, DOC)}/\\n\\nhost:127\\.0\\.0\\.1:\\d+\\nx-project-id:${P}\\n`),
        ),
        request_id: expect.any(String),
      },
    });
    const unsigned = await request(new URL(metadataPath(P, DOC), sandbox.url));
    expect(unsigned.statusCode).toBe(401);
    expect(await unsigned.body.json()).toMatchObject({ error_code: 'APIGW.0301' });
  });
});
