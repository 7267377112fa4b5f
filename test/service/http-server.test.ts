import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID, type SampleImage } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { startInProcess } from '../helpers/stack.js';
import { until } from '../helpers/until.js';

/** An image whose metadata is as large as its owner can make it: 300 keys of 200 characters. */
const LARGE: SampleImage = {
  projectId: SAMPLE_PROJECT_ID,
  imageId: '00000000-0000-4000-8000-000000000007',
  metadata: [...DOCUMENTED_IMAGE.metadata, ...Array.from({ length: 300 }, (_, n) => [`user_key_${n}`, `${n}`.padEnd(200, 'x')] as const)],
};

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ images: [LARGE] });
});
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

// The service in this process, as start.ts starts it, with its timeouts shortened: the timeouts are Node's own,
// set from the config; the validators' floor of 1 s is for operators, not for what is tested here.
describe('the HTTP server (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)', () => {
  it('frees the connection of a body shorter than its Content-Length, and of headers that never end', async () => {
    const service = await startInProcess(sandbox.url, { server: { headersTimeoutMs: 200, requestTimeoutMs: 200 } });
    try {
      const [lyingBody, endlessHeaders] = await Promise.all([
        untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":'),
        untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nX-Slow: '),
      ]);
      expect(lyingBody).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(endlessHeaders).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await service.stop();
    }
  });
});

describe('a client that stops reading (HTTP_IDLE_TIMEOUT_MS)', () => {
  it('loses its connection, and the service the response it held, once nothing has moved for the deadline plus the idle time', async () => {
    const logs = captureLogs();
    // OPERATION_DEADLINE_MS=1000 and HTTP_IDLE_TIMEOUT_MS=250, as readServer adds them up.
    const service = await startInProcess(sandbox.url, { limits: { deadlineMs: 1000 }, server: { idleTimeoutMs: 1250 }, logger: logs.logger });
    try {
      const ids = JSON.stringify(Array(100).fill(LARGE.imageId));
      const body = JSON.stringify({ query: `{ a: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id metadata { key value } } b: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id } }` });
      const socket = connect(Number(service.url.port), service.url.hostname);
      await once(socket, 'connect');
      socket.write(`POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Auth-Token: t\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause();
      // The service gives up on this client: only then does the client read what reached it.
      await logs.waitFor((line) => String(line['msg']).startsWith('closed a connection on which nothing moved'));
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
      expect(logs.lines.filter((line) => String(line['msg']).startsWith('closed a connection'))).toEqual([
        expect.objectContaining({ level: 30, idleMs: 1250 }),
      ]);
    } finally {
      await service.stop();
    }
  });
});

describe('stopping (SHUTDOWN_GRACE_MS)', () => {
  it('cuts an operation that outlives the grace period, says so, and closes everything', async () => {
    const logs = captureLogs();
    const service = await startInProcess(sandbox.url, { server: { graceMs: 100 }, limits: { deadlineMs: 60_000 }, upstream: { attemptTimeoutMs: 60_000 }, logger: logs.logger });
    sandbox.requests.length = 0;
    const hung = fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 't' },
      body: JSON.stringify({ query: `{ image(projectId: "${SAMPLE_PROJECT_ID}", id: "${FAULTS.hang.imageId}") { id } }` }),
    }).then(
      (response) => response.status,
      (error: unknown) => (error as Error).name,
    );
    await until(() => sandbox.requests.length === 1);
    await service.stop();
    expect(await hung).toBe('TypeError'); // fetch failed: the connection was cut
    expect(logs.lines.map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['shutting down: grace period over, cutting the connections still open', 'stopped']),
    );
    // The upstream call was abandoned with the operation: nothing holds the sandbox.
    await sandbox.whenIdle();
  });
});
