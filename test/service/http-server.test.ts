import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
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

/** A POST of `query` to /graphql, as raw HTTP/1.1 (keep-alive, its default). */
function post(query: string): string {
  const body = JSON.stringify({ query });
  return `POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Auth-Token: t\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A request whose response is over 5 MB: more than the loopback socket buffers hold for a client that does not read. */
const LARGE_QUERY = (() => {
  const ids = JSON.stringify(Array(100).fill(LARGE.imageId));
  return post(`{ a: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id metadata { key value } } b: images(projectId: "${SAMPLE_PROJECT_ID}", ids: ${ids}) { id } }`);
})();

const SMALL_QUERY = post(`{ image(projectId: "${SAMPLE_PROJECT_ID}", id: "${LARGE.imageId}") { id } }`);

interface Answer {
  readonly status: number | undefined;
  readonly connection: string | undefined;
  /** The body's length as its Content-Length says, and as received before the response ended or the connection closed. */
  readonly announced: number;
  readonly received: number;
}

interface KeepAlive {
  readonly socket: Socket;
  /** Sends `raw`; `head` resolves once the response's headers have arrived, `answer` once it is whole or the connection closed. */
  send(raw: string): { head: Promise<void>; answer: Promise<Answer> };
  /** Resolves once the connection is closed (by the server: the client never closes it). */
  readonly closed: Promise<void>;
}

/** A keep-alive connection that reads responses as a client would: by their Content-Length, one at a time. */
async function keepAlive(url: URL): Promise<KeepAlive> {
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let chunks: Buffer[] = [];
  let size = 0;
  let onChange = () => undefined as void;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    onChange();
  });
  void closed.then(() => onChange());
  return {
    socket,
    closed,
    send(raw) {
      socket.write(raw);
      let headArrived = () => undefined as void;
      const head = new Promise<void>((resolve) => (headArrived = resolve));
      const answer = new Promise<Answer>((resolve) => {
        let parsed: { length: number; status: number; connection: string | undefined; announced: number } | undefined;
        onChange = () => {
          if (!parsed) {
            const text = Buffer.concat(chunks).toString('latin1');
            const end = text.indexOf('\r\n\r\n');
            if (end !== -1) {
              const headers = text.slice(0, end);
              const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1];
              parsed = { length: end + 4, status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), connection: header('connection'), announced: Number(header('content-length')) };
              headArrived();
            }
          }
          const complete = parsed !== undefined && size >= parsed.length + parsed.announced;
          if (!complete && !socket.destroyed) return;
          resolve({ status: parsed?.status, connection: parsed?.connection, announced: parsed?.announced ?? 0, received: parsed ? size - parsed.length : 0 });
          [chunks, size, onChange] = [[], 0, () => undefined];
        };
        onChange();
      });
      return { head, answer };
    },
  };
}

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
  it('answers 408 and frees the connection of a body shorter than its Content-Length', async () => {
    const service = await startInProcess(sandbox.url, { server: { headersTimeoutMs: 200, requestTimeoutMs: 200 } });
    try {
      const lyingBody = await untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":');
      expect(lyingBody).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await service.stop();
    }
  });

  it('answers 408 and frees the connection of headers that never end, at the headers timeout, not the request timeout', async () => {
    // The request timeout would end them too, but only after ten minutes: the 408 can only come from the headers timeout.
    const service = await startInProcess(sandbox.url, { server: { headersTimeoutMs: 200, requestTimeoutMs: 600_000 } });
    try {
      const endlessHeaders = await untilClosed(service.url, 'POST /graphql HTTP/1.1\r\nHost: t\r\nX-Slow: ');
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
      const socket = connect(Number(service.url.port), service.url.hostname);
      await once(socket, 'connect');
      socket.write(LARGE_QUERY);
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

// Keep-alive connections at a stop: each is told Connection: close with its next response, and one that stays idle is
// closed once it has had IDLE_GRACE_MS (1 s) to carry one more request. Node's own keep-alive timeout (5 s after a
// response) would close an idle connection too, but later than these grace periods: what the stop itself does shows
// as a stop that finishes within its grace, without the "grace period over" line.
describe('stopping with keep-alive connections open', () => {
  const cut = (logs: ReturnType<typeof captureLogs>) => logs.lines.filter((line) => String(line['msg']).includes('grace period over'));

  it('answers a request sent on an idle connection just after the stop began, with Connection: close, then closes the connection', async () => {
    const logs = captureLogs();
    const service = await startInProcess(sandbox.url, { logger: logs.logger });
    const client = await keepAlive(service.url);
    expect(await client.send(SMALL_QUERY).answer).toMatchObject({ status: 200, connection: 'keep-alive' });
    const stopping = service.stop();
    await logs.waitFor((line) => String(line['msg']).startsWith('shutting down: refusing new connections'));
    // One turn of the timers, as a client's next request takes a moment to arrive: a stop that closed idle connections
    // at once, with no grace, would have closed this one by now (its timer was set first, for no later a time).
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The client cannot know yet: it sends its next request on the connection it holds, which is answered, not cut.
    const answer = await client.send(SMALL_QUERY).answer;
    expect(answer).toEqual({ status: 200, connection: 'close', announced: expect.any(Number), received: answer.announced });
    await client.closed;
    await stopping;
    expect(cut(logs)).toEqual([]);
  });

  it('closes a connection as soon as its response is delivered, when that is after the idle grace: a slow reader does not hold the stop', async () => {
    const logs = captureLogs();
    // A grace shorter than Node's keep-alive timeout: only the stop itself can close the reader's connection in time.
    const service = await startInProcess(sandbox.url, { server: { graceMs: 4000 }, logger: logs.logger });
    const idle = await keepAlive(service.url);
    await idle.send(SMALL_QUERY).answer;
    const reader = await keepAlive(service.url);
    const large = reader.send(LARGE_QUERY);
    // Its headers (keep-alive) are sent before the stop; the rest waits for a client that has stopped reading.
    await large.head;
    reader.socket.pause();
    const stopping = service.stop();
    // The idle connection is closed at the end of the idle grace; the reader's is not, its response being unfinished.
    await idle.closed;
    reader.socket.resume();
    const answer = await large.answer;
    expect(answer).toEqual({ status: 200, connection: 'keep-alive', announced: expect.any(Number), received: answer.announced });
    expect(answer.announced).toBeGreaterThan(5_000_000);
    await reader.closed;
    await stopping;
    expect(cut(logs)).toEqual([]);
  });
});
