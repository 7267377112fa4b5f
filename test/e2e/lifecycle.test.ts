import { get, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { accepts } from '../helpers/net.js';
import { startService } from '../helpers/service.js';
import { gate, until } from '../helpers/until.js';

const P = DOCUMENTED_IMAGE.projectId;

// The slow fault answers when the test says.
const slow = gate();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ answerWhen: slow.passed });
}, 60_000);
afterAll(() => sandbox.close());

/**
 * The status of GET `path`, on a connection closed after it: an idle keep-alive connection would hold the stop
 * for its grace (shutdown.ts), which is not what these tests are about.
 */
function statusOf(url: URL, path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(new URL(path, url), { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).on('error', reject);
  });
}

/** Sends a query for the slow image on a keep-alive connection; resolves with the answer and its Connection header. */
function askSlow(url: URL): Promise<{ status: number | undefined; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': 't', connection: 'keep-alive' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, body: text }));
    });
    call.on('error', reject);
    call.end(JSON.stringify({ query: `query Slow { image(projectId: "${P}", id: "${FAULTS.slow.imageId}") { id osType } }` }));
  });
}

describe('the compiled service on SIGTERM', () => {
  it('is healthy and ready; then refuses new connections, finishes the operation in flight with Connection: close, closes everything, exits 0', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
    expect([await statusOf(service.url, '/healthz'), await statusOf(service.url, '/readyz')]).toEqual([200, 200]);

    sandbox.requests.length = 0;
    const inFlight = askSlow(service.url);
    await until(() => sandbox.requests.length === 1);
    service.process.kill('SIGTERM');
    await service.waitForLog((line) => String(line['msg']).startsWith('shutting down: refusing new connections'));
    expect(await accepts(service.url)).toBe(false);

    slow.open();
    // The keep-alive client is told not to reuse a connection that is about to close.
    expect(await inFlight).toEqual({ status: 200, connection: 'close', body: JSON.stringify({ data: { image: { id: FAULTS.slow.imageId, osType: 'LINUX' } } }) });
    expect(await service.exited).toBe(0);
    expect(service.logs.map((line) => line['msg'])).toContain('stopped');
    expect(service.logs.some((line) => String(line['msg']).includes('grace period over'))).toBe(false);
  });

  it('turns /readyz to 503 while it drains (SHUTDOWN_DRAIN_MS), still accepting', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href, SHUTDOWN_DRAIN_MS: '60000', SHUTDOWN_GRACE_MS: '1000' });
    service.process.kill('SIGTERM');
    await service.waitForLog((line) => String(line['msg']).startsWith('shutting down: /readyz now answers 503'));
    expect([await statusOf(service.url, '/readyz'), await statusOf(service.url, '/healthz')]).toEqual([503, 200]);
    // The drain is long; a second signal is not needed for the test: kill it.
    service.process.kill('SIGKILL');
    await service.exited;
  });
});
