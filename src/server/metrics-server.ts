import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from './listen.js';

export interface MetricsServer {
  readonly url: URL;
  close(): Promise<void>;
}

/**
 * /metrics on a port of its own (METRICS_PORT): Prometheus scrapes it there, and a NetworkPolicy or a firewall
 * keeps it from everyone else, while the GraphQL port is public. It answers GET /metrics and nothing else.
 */
export async function startMetricsServer(registry: Registry, port: number, host: string): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || new URL(request.url ?? '/', 'http://metrics').pathname !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: only GET /metrics is served on this port.\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('The metrics could not be rendered.\n'),
    );
  });
  const url = await listen(server, port, host, '/metrics', 'METRICS_PORT');
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
