/** The floor of one hop: no GraphQL, one image per HTTP request, passed through an undici Pool as the upstream sent it. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { ready, settings } from './image-fields.js';

const { upstream, port } = settings();
const pool = new Pool(upstream.origin, { connections: 20 });

const server = createServer((request, response) => {
  pool
    .request({ method: 'GET', path: request.url ?? '/', headers: { 'x-auth-token': String(request.headers['x-auth-token'] ?? '') } })
    .then(async ({ statusCode, body }) => {
      const text = await body.text();
      response.writeHead(statusCode, { 'content-type': 'application/json' }).end(text);
    })
    .catch(() => response.writeHead(502).end());
});
server.listen(port, '127.0.0.1', () => ready(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
