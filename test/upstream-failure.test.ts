import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFor, metadataPath, type TestApp } from './helpers/stack.js';

const P = '0123456789abcdef0123456789abcdef';
const OK = '11111111-1111-4111-8111-111111111111';
const FAILS = '22222222-2222-4222-8222-222222222222';
const TRUNCATED = '33333333-3333-4333-8333-333333333333';
const RESET = '44444444-4444-4444-8444-444444444444';

// A real loopback upstream that misbehaves per image (the sandbox's fault injection comes with the
// error-contract issue; this proves the batch survives any single failure).
let upstream: Server;
let client: TestApp;
const seen: string[] = [];

beforeAll(async () => {
  upstream = createServer((request, response) => {
    seen.push(request.url ?? '');
    if (request.url === metadataPath(P, OK)) response.end('{"metadata": {"__os_type": "Linux"}}');
    else if (request.url === metadataPath(P, FAILS)) response.writeHead(500).end('{"computeFault": {"code": 500, "message": "boom"}}');
    else if (request.url === metadataPath(P, TRUNCATED)) response.end('{"metadata": {"__os_type": "Lin');
    else request.socket.destroy();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  client = appFor(new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`));
});
afterAll(async () => {
  await client.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('a failing image', () => {
  it('fails only its own field, with a masked error on its path', async () => {
    seen.length = 0;
    const { status, body } = await client.query(`{
      ok: image(projectId: "${P}", id: "${OK}") { osType }
      fails: image(projectId: "${P}", id: "${FAILS}") { osType }
      list: images(projectId: "${P}", ids: ["${TRUNCATED}", "${OK}", "${RESET}"]) { osType }
    }`);
    expect(status).toBe(200);
    expect(body.data).toEqual({ ok: { osType: 'LINUX' }, fails: null, list: [null, { osType: 'LINUX' }, null] });
    const errors = (body.errors ?? []).map(({ message, path, extensions }) => ({ message, path, extensions }));
    const masked = { code: 'INTERNAL_SERVER_ERROR' };
    expect(errors.sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path)))).toEqual([
      { message: 'Unexpected error.', path: ['fails'], extensions: masked },
      { message: 'Unexpected error.', path: ['list', 0], extensions: masked },
      { message: 'Unexpected error.', path: ['list', 2], extensions: masked },
    ]);
    expect(seen.sort()).toEqual([metadataPath(P, OK), metadataPath(P, FAILS), metadataPath(P, TRUNCATED), metadataPath(P, RESET)].sort());
  });

  it('fails the same way when nothing listens at all', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(closed.address() as AddressInfo).port}`);
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = appFor(url);
    const { body } = await nowhere.query(`{ image(projectId: "${P}", id: "${OK}") { id } }`);
    await nowhere.close();
    expect(body).toEqual({
      data: { image: null },
      errors: [{ message: 'Unexpected error.', locations: [{ line: 1, column: 3 }], path: ['image'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
  });
});
