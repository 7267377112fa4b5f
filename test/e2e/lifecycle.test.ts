import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startService } from '../helpers/service.js';
import { until } from '../helpers/until.js';

const P = DOCUMENTED_IMAGE.projectId;
const slowQuery = (imageId: string) => JSON.stringify({ query: `query Slow { image(projectId: "${P}", id: "${imageId}") { id osType } }` });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ slowMs: 1500 });
}, 60_000);
afterAll(() => sandbox.close());

/** Whether a new TCP connection to `url` is accepted. */
function accepts(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const send = (url: URL, imageId: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': 't' }, body: slowQuery(imageId) });

describe('health', () => {
  it('/healthz says the process is alive, /readyz that it can serve', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
    try {
      const healthz = await fetch(new URL('/healthz', service.url));
      const readyz = await fetch(new URL('/readyz', service.url));
      expect([healthz.status, readyz.status]).toEqual([200, 200]);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});

describe('graceful shutdown on SIGTERM', () => {
  it('refuses new connections, lets the operation in flight finish, closes everything, exits 0', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
    sandbox.requests.length = 0;
    const inFlight = send(service.url, FAULTS.slow.imageId);
    await until(() => sandbox.requests.length === 1);

    service.process.kill('SIGTERM');
    await service.waitForLog((line) => String(line['msg']).startsWith('shutting down: refusing new connections'));
    expect(await accepts(service.url)).toBe(false);

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { image: { id: FAULTS.slow.imageId, osType: 'LINUX' } } });
    expect(await service.exited).toBe(0);
    expect(service.logs.map((line) => line['msg'])).toContain('stopped');
    expect(service.logs.some((line) => String(line['msg']).includes('grace period over'))).toBe(false);
  });

  it('turns /readyz to 503 while it drains (SHUTDOWN_DRAIN_MS), still accepting, then stops', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href, SHUTDOWN_DRAIN_MS: '60000', SHUTDOWN_GRACE_MS: '1000' });
    service.process.kill('SIGTERM');
    await service.waitForLog((line) => String(line['msg']).startsWith('shutting down: /readyz now answers 503'));
    const readyz = await fetch(new URL('/readyz', service.url));
    expect(readyz.status).toBe(503);
    expect((await fetch(new URL('/healthz', service.url))).status).toBe(200);
    // The drain is long; a second signal is not needed for the test: kill it.
    service.process.kill('SIGKILL');
    await service.exited;
  });

  it('cuts an operation that outlives the grace period (SHUTDOWN_GRACE_MS), then exits 0', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href, SHUTDOWN_GRACE_MS: '300', OPERATION_DEADLINE_MS: '60000', UPSTREAM_TIMEOUT_MS: '60000' });
    sandbox.requests.length = 0;
    const hung = send(service.url, FAULTS.hang.imageId).then(
      (response) => response.status,
      (error: unknown) => (error as Error).name,
    );
    await until(() => sandbox.requests.length === 1);
    service.process.kill('SIGTERM');
    expect(await hung).toBe('TypeError'); // fetch failed: the connection was cut
    expect(await service.exited).toBe(0);
    expect(service.logs.some((line) => String(line['msg']).includes('grace period over'))).toBe(true);
    await sandbox.whenIdle();
  });
});
