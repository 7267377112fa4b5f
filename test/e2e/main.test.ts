import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startService as startInProcess } from '../../src/server/start.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { accepts, serve } from '../helpers/net.js';
import { runServiceToExit, startProgram, startService } from '../helpers/service.js';
import { metadataPath } from '../helpers/stack.js';

// What `npm start` does with its environment. The compiled program, as a process, where only a process shows it:
// starting with no configuration, refusing to start (exit code, stderr). The rest (which endpoint answers, what is
// logged at start) is the same start-up, src/server/start.ts, from the same environment, run in this process.

/** The service started in this process from `env`, as main.ts starts it, with its log lines kept. */
async function started(env: Record<string, string>) {
  const logs = captureLogs();
  const service = await startInProcess(loadConfig({ PORT: '0', ...env }), logs.logger);
  return { url: service.url, logs: logs.lines, stop: () => service.stop() };
}

const QUERY = `{ image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") { id osType osBit platform } }`;
const ANSWER = { data: { image: { id: DOCUMENTED_IMAGE.imageId, osType: 'LINUX', osBit: 64, platform: 'SUSE' } } };

/** Where the built-in sandbox listens, as the service's start-up line says. */
function builtInSandbox(logs: ReadonlyArray<Record<string, unknown>>): URL {
  return new URL(String(logs.find((line) => typeof line['sandbox'] === 'string')?.['sandbox']));
}

async function post(url: URL, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: QUERY }) });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('the compiled service', () => {
  // A minute, not the default 20 s: the first GraphiQL open builds its files (bundled and compressed once), seconds
  // of CPU that took past 20 s in a full run on a loaded 2-core machine. A guard, not a measure of speed.
  it('with no configuration starts the sandbox, says so once, serves the sample image and stops cleanly', { timeout: 60_000 }, async () => {
    const service = await startService({});
    try {
      const sandboxLines = service.logs.filter((line) => String(line['msg']).includes('built-in sandbox'));
      expect(sandboxLines).toHaveLength(1);
      expect(sandboxLines[0]).toMatchObject({ level: 40 });
      expect(String(sandboxLines[0]?.['msg'])).toMatch(/^ECS_ENDPOINT is not set: using the built-in sandbox of ECS and IMS at http:\/\/127\.0\.0\.1:\d+\//);
      expect(service.url.hostname).toBe('127.0.0.1');
      expect(service.url.pathname).toBe('/graphql');
      expect(await post(service.url)).toEqual({ status: 200, body: ANSWER });
      const page = await fetch(service.url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>ecs-image-graph</title>');
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('with NODE_ENV=production (as in the image) and no endpoint, refuses to start, saying how to serve the sandbox on purpose', async () => {
    const { code, stderr, stdout } = await runServiceToExit({ NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Invalid configuration:\n  ECS_ENDPOINT: required when NODE_ENV=production: without it the built-in sandbox would answer with sample images (set SANDBOX=true to serve the sandbox on purpose)\n',
    );
  });

  it('with NODE_ENV=production and SANDBOX=true, serves the sandbox and says it was asked for', async () => {
    const service = await started({ NODE_ENV: 'production', SANDBOX: 'true' });
    try {
      expect(service.logs.filter((line) => String(line['msg']).includes('built-in sandbox'))).toEqual([
        expect.objectContaining({ level: 40, msg: expect.stringMatching(/^SANDBOX=true: using the built-in sandbox of ECS and IMS at http:\/\/127\.0\.0\.1:\d+\/ \(sample images only, no real data\)$/) }),
      ]);
      expect(await post(service.url)).toEqual({ status: 200, body: ANSWER });
    } finally {
      await service.stop();
    }
  });

  it('with IMAGE_BACKEND=shadow and a regional ECS_ENDPOINT, derives the IMS endpoint of the region and says so', async () => {
    const service = await started({ ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com', IMAGE_BACKEND: 'shadow' });
    try {
      expect(service.logs.filter((line) => String(line['msg']).startsWith('IMS_ENDPOINT is not set'))).toEqual([
        expect.objectContaining({ level: 30, ims: 'https://ims.cn-north-4.myhuaweicloud.com/', msg: "IMS_ENDPOINT is not set: using https://ims.cn-north-4.myhuaweicloud.com, the IMS endpoint of ECS_ENDPOINT's region" }),
      ]);
    } finally {
      await service.stop();
    }
  });

  describe('with ECS_ENDPOINT set', () => {
    let upstream: Sandbox;
    beforeAll(async () => {
      upstream = await startSandbox();
    });
    afterAll(() => upstream.close());

    it("answers from that endpoint, forwarding the caller's X-Auth-Token, and starts no sandbox", async () => {
      const service = await started({ ECS_ENDPOINT: upstream.url.href });
      try {
        const anonymous = await post(service.url);
        expect(anonymous.body).toMatchObject({ data: { image: null }, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
        expect(upstream.requests).toEqual([]);
        expect(await post(service.url, { 'x-auth-token': 'token-from-the-caller' })).toEqual({ status: 200, body: ANSWER });
        expect(upstream.requests.map(({ path, headers }) => ({ path, token: headers['x-auth-token'] }))).toEqual([
          { path: metadataPath(DOCUMENTED_IMAGE.projectId, DOCUMENTED_IMAGE.imageId), token: 'token-from-the-caller' },
        ]);
        expect(service.logs.some((line) => String(line['msg']).includes('sandbox'))).toBe(false);
      } finally {
        await service.stop();
      }
    });

    it('with IMAGE_BACKEND=ims and IMS_ENDPOINT, answers from IMS alone, and starts no sandbox', async () => {
      const service = await started({ IMAGE_BACKEND: 'ims', IMS_ENDPOINT: upstream.url.href });
      const before = upstream.requests.length;
      try {
        expect(service.logs.some((line) => String(line['msg']).includes('sandbox'))).toBe(false);
        // A real upstream: a caller without a token is refused here, not sent on.
        expect((await post(service.url)).body).toMatchObject({ data: { image: null }, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
        expect(await post(service.url, { 'x-auth-token': 'token-from-the-caller' })).toEqual({ status: 200, body: ANSWER });
        expect(upstream.requests.slice(before).map(({ path, headers }) => ({ path, token: headers['x-auth-token'] }))).toEqual([
          { path: `/v2/cloudimages?id=${DOCUMENTED_IMAGE.imageId}`, token: 'token-from-the-caller' },
        ]);
      } finally {
        await service.stop();
      }
    });
  });

  it('in service mode, signs with AK/SK; with no endpoint its built-in sandbox checks the signatures', async () => {
    const service = await started({
      AUTH_MODE: 'service',
      HUAWEICLOUD_SDK_AK: 'HPUAEXAMPLEAK000001',
      HUAWEICLOUD_SDK_SK: 'service-secret-key',
      ALLOWED_PROJECT_IDS: DOCUMENTED_IMAGE.projectId,
    });
    try {
      expect(await post(service.url)).toEqual({ status: 200, body: ANSWER });
      // Asked directly, without the service's signature, the sandbox refuses as Huawei's gateway would.
      const unsigned = await fetch(new URL(metadataPath(DOCUMENTED_IMAGE.projectId, DOCUMENTED_IMAGE.imageId), builtInSandbox(service.logs)));
      expect({ status: unsigned.status, body: await unsigned.json() }).toEqual({ status: 401, body: expect.objectContaining({ error_code: 'APIGW.0301' }) });
    } finally {
      await service.stop();
    }
  });

  it('closes the built-in sandbox it started: when it stops, and when it cannot listen', async () => {
    const service = await started({});
    const sandbox = builtInSandbox(service.logs);
    expect(await accepts(sandbox)).toBe(true);
    await service.stop();
    expect(await accepts(sandbox)).toBe(false);

    const taken = await serve(() => undefined);
    try {
      const logs = captureLogs();
      const { port } = new URL(taken.origin);
      await expect(startInProcess(loadConfig({ PORT: port }), logs.logger)).rejects.toThrow(`Cannot listen on 127.0.0.1:${port}`);
      expect(await accepts(builtInSandbox(logs.lines))).toBe(false);
    } finally {
      await taken.close();
    }
  });

  it('started on a port in use (a second npm start), says which address and exits 1, without a stack', async () => {
    const first = await serve(() => undefined);
    try {
      const { port } = new URL(first.origin);
      const second = await runServiceToExit({ PORT: port });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(`Cannot listen on 127.0.0.1:${port}: the address is already in use (is another instance running?). Set PORT, or HOST, to a free one.\n`);
      // Its built-in sandbox had started (and says so) before the port was tried; nothing claims to be ready.
      expect(second.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        expect.stringMatching(/^ECS_ENDPOINT is not set: using the built-in sandbox of ECS and IMS at http:\/\/127\.0\.0\.1:\d+\/ \(sample images only, no real data\)$/),
      ]);
    } finally {
      await first.close();
    }
  });

  it('refuses to start on bad settings, naming every one at once, those that contradict each other included', async () => {
    const { code, stderr, stdout } = await runServiceToExit({ PORT: 'eighty', IMAGES_MAX_IDS: '0', AUTH_MODE: 'service', ALLOWED_PROJECT_IDS: DOCUMENTED_IMAGE.projectId });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Invalid configuration:\n' +
        '  PORT: must be a whole number from 0 to 65535, got "eighty"\n' +
        '  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "0"\n' +
        '  HUAWEICLOUD_SDK_AK: required when AUTH_MODE=service\n' +
        '  HUAWEICLOUD_SDK_SK: required when AUTH_MODE=service\n',
    );
  });
  it('refuses to start on a bad Redis topology, naming each variable: an unparsable host:port, and Sentinel and Cluster both set', async () => {
    const secret = { CACHE_KEY_SECRET: 'a-shared-cache-key-secret-of-at-least-32-chars' };
    const [unparsable, both] = await Promise.all([
      runServiceToExit({ ...secret, REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1' }),
      runServiceToExit({ ...secret, REDIS_SENTINELS: 'sentinel-0:26379', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_CLUSTER_NODES: 'redis-0:6379' }),
    ]);
    expect(unparsable).toEqual({ code: 1, stdout: '', stderr: 'Invalid configuration:\n  REDIS_CLUSTER_NODES: item 2 is not a host:port such as redis-0.redis:6379\n' });
    expect(both).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Invalid configuration:\n  REDIS_CLUSTER_NODES: set together with REDIS_SENTINELS: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) and REDIS_CLUSTER_NODES (Cluster)\n',
    });
  });
});

describe('the other compiled programs docker-compose.yml runs', () => {
  it('node dist/sandbox/main.js serves the legacy endpoint, checking signatures when given keys', async () => {
    const open = await startProgram('sandbox');
    const signed = await startProgram('sandbox', { SANDBOX_ACCESS_KEY: 'AK', SANDBOX_SECRET_KEY: 'SK' });
    try {
      const path = metadataPath(DOCUMENTED_IMAGE.projectId, DOCUMENTED_IMAGE.imageId);
      const answer = await fetch(new URL(path, open.url));
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { metadata: Record<string, string> }).metadata['__os_type']).toBe('Suse');
      expect((await fetch(new URL('/healthz', open.url))).status).toBe(200);
      const refused = await fetch(new URL(path, signed.url));
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error_code: 'APIGW.0301' });
    } finally {
      expect([await open.stop(), await signed.stop()]).toEqual([0, 0]);
    }
  });

  it('node --import tsx examples/servers-subgraph/main.ts serves the sample servers subgraph', async () => {
    const servers = await startProgram('servers');
    try {
      const response = await fetch(servers.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ servers { name image { projectId id } } }' }),
      });
      const body = (await response.json()) as { data: { servers: Array<{ name: string }> } };
      expect((await fetch(new URL('/healthz', servers.url))).status).toBe(200);
      expect(body.data.servers.map((server) => server.name)).toEqual(['api-1', 'api-2', 'batch-1', 'legacy-1', 'win-1']);
    } finally {
      expect(await servers.stop()).toBe(0);
    }
  });
});
