import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';

export interface HttpServer {
  readonly server: Server;
  /**
   * From now on every response says `Connection: close`, those in flight included: a keep-alive client then
   * opens its next connection elsewhere instead of sending a request on one that is about to close.
   */
  closeConnectionsAfterResponses(): void;
}

/**
 * The Node HTTP server in front of `handler`, with the limits a public server needs: a client that sends
 * its headers or its body too slowly (or a body shorter than its Content-Length) is answered 408 and cut off,
 * and one that stops reading is cut off too.
 */
export function createHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => unknown,
  http: Pick<ServerConfig, 'headersTimeoutMs' | 'requestTimeoutMs' | 'idleTimeoutMs'>,
  logger: Logger,
): HttpServer {
  const unanswered = new Set<ServerResponse>();
  let closing = false;
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      // How often Node looks for requests over those timeouts: 30 s by default, which would hold a lying body that much
      // longer. Never less often than the shortest timeout (which is 1 s or more, but for tests that shorten it).
      connectionsCheckingInterval: Math.min(1000, http.headersTimeoutMs),
    },
    (request, response) => {
      if (closing) {
        response.setHeader('connection', 'close');
      } else {
        unanswered.add(response);
        response.once('close', () => unanswered.delete(response));
      }
      void handler(request, response);
    },
  );
  // A client that stops reading its response holds the response in memory; nothing moving for this long ends it.
  server.setTimeout(http.idleTimeoutMs, (socket) => {
    logger.info({ idleMs: http.idleTimeoutMs }, 'closed a connection on which nothing moved for OPERATION_DEADLINE_MS plus HTTP_IDLE_TIMEOUT_MS');
    socket.destroy();
  });
  return {
    server,
    closeConnectionsAfterResponses() {
      closing = true;
      for (const response of unanswered) if (!response.headersSent) response.setHeader('connection', 'close');
    },
  };
}
