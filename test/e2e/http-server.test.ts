import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID, type SampleImage } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startService } from '../helpers/service.js';
import { until } from '../helpers/until.js';

/** An image whose metadata is as large as its owner can make it: 300 keys of 200 characters. */
const LARGE: SampleImage = {
  projectId: SAMPLE_PROJECT_ID,
  imageId: '00000000-0000-4000-8000-000000000007',
  metadata: [...DOCUMENTED_IMAGE.metadata, ...Array.from({ length: 300 }, (_, n) => [`user_key_${n}`, `${n}`.padEnd(200, 'x')] as const)],
};

let sandbox: Sandbox;
beforeAll(async () => {
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

describe('a client that stops reading (HTTP_IDLE_TIMEOUT_MS)', () => {
  it('loses its connection, and the service the response it held, once nothing has moved for the deadline plus the idle time', async () => {
    const large = await startSandbox({ images: [LARGE] });
    const service = await startService({ ECS_ENDPOINT: large.url.href, OPERATION_DEADLINE_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '1000' });
    try {
      const ids = JSON.stringify(Array(100).fill(LARGE.imageId));
      const body = JSON.stringify({ query: `{ a: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id metadata { key value } } b: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id } }` });
      const socket = connect(Number(service.url.port), service.url.hostname);
      await once(socket, 'connect');
      socket.write(`POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Auth-Token: t\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause();
      // Three times the 2 s the service waits before it gives up on this client.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.resume();
      await once(socket, 'close');
      const received = Buffer.concat(chunks).toString('latin1');
      const announced = Number(/content-length: (\d+)/i.exec(received)?.[1]);
      const bodyReceived = received.length - received.indexOf('\r\n\r\n') - 4;
      expect(announced).toBeGreaterThan(5_000_000);
      expect(bodyReceived).toBeLessThan(announced);
    } finally {
      await service.stop();
      await large.close();
    }
  }, 30_000);
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
