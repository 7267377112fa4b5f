import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../src/sandbox/faults.js';
import { SAMPLE_PROJECT_ID } from '../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { buildService, startService } from './helpers/service.js';
import { until } from './helpers/until.js';

let sandbox: Sandbox;
beforeAll(async () => {
  await buildService();
  sandbox = await startSandbox({ slowMs: 1000 });
}, 60_000);
afterAll(() => sandbox.close());

/** Sends `raw` on a new connection and resolves with everything the server wrote before it closed the connection. */
async function untilClosed(url: URL, raw: string): Promise<string> {
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.write(raw);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await once(socket, 'close');
  return answer;
}

describe('the HTTP server (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)', () => {
  it('frees the connection of a body shorter than its Content-Length, and of headers that never end', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href, HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1000' });
    try {
      const lyingBody = await untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":');
      expect(lyingBody).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      const endlessHeaders = await untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nX-Slow: ');
      expect(endlessHeaders).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});

describe('shutting down', () => {
  it('answers what is in flight with Connection: close, so keep-alive clients do not reuse a closing connection', async () => {
    const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
    sandbox.requests.length = 0;
    const body = JSON.stringify({ query: `{ image(projectId: "${SAMPLE_PROJECT_ID}", id: "${FAULTS.slow.imageId}") { id } }` });
    const answered = new Promise<{ status: number | undefined; connection: string | undefined; body: string }>((resolve, reject) => {
      const call = request(service.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': 't', connection: 'keep-alive' } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, body: text }));
      });
      call.on('error', reject);
      call.end(body);
    });
    await until(() => sandbox.requests.length === 1);
    service.process.kill('SIGTERM');
    const answer = await answered;
    expect(answer).toEqual({ status: 200, connection: 'close', body: JSON.stringify({ data: { image: { id: FAULTS.slow.imageId } } }) });
    expect(await service.exited).toBe(0);
  });
});
