import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpServer } from './http-server.js';
import type { Logger } from '../observability/logger.js';

export interface ShutdownParts {
  readonly http: HttpServer;
  readonly logger: Logger;
  /** Turns /readyz to 503. */
  stopBeingReady(): void;
  /** Closes what the service holds open: the pool, the cache, Redis, the sandbox. */
  closeResources(): Promise<void>;
  readonly drainMs: number;
  readonly graceMs: number;
}

/** How long a keep-alive connection idle at shutdown is left for its client's next request (answered with `Connection: close`). */
const IDLE_GRACE_MS = 1000;

/**
 * A graceful stop: readiness off (and, for `drainMs`, still accepting, so a load balancer notices and
 * stops sending traffic), then new connections refused while operations in flight finish, for at most
 * `graceMs`; then the remaining connections are cut and the resources closed.
 *
 * From the first moment every response says `Connection: close`, so each keep-alive connection ends after
 * its response, cleanly, instead of being cut while its client may be sending the next request (an
 * ECONNRESET for that client).
 * @returns whether every operation in flight finished in time.
 */
export async function shutDown(parts: ShutdownParts): Promise<boolean> {
  const { server } = parts.http;
  parts.http.closeConnectionsAfterResponses();
  parts.stopBeingReady();
  if (parts.drainMs > 0) {
    parts.logger.info({ drainMs: parts.drainMs }, 'shutting down: /readyz now answers 503; draining');
    await sleep(parts.drainMs);
  }
  parts.logger.info({ graceMs: parts.graceMs }, 'shutting down: refusing new connections, finishing the operations in flight');
  // http.Server#close() would also cut every idle keep-alive connection at once, racing requests their clients
  // are sending on them; net.Server#close() only stops accepting. The idle ones get IDLE_GRACE_MS to carry one
  // more request (its response closes them), then they are closed, and the same for any that goes idle later.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  let sweeper: NodeJS.Timeout | undefined;
  const idleGrace = setTimeout(() => {
    server.closeIdleConnections();
    // A keep-alive response still being written to a slow reader at this moment is not idle yet; once it is
    // delivered its connection is, and only this sweep closes it (else Node's keep-alive timeout would, 5 s later).
    sweeper = setInterval(() => server.closeIdleConnections(), 50);
  }, IDLE_GRACE_MS);
  const grace = sleep(parts.graceMs, 'timeout' as const, { ref: false });
  const finished = (await Promise.race([closed.then(() => 'closed' as const), grace])) === 'closed';
  clearTimeout(idleGrace);
  clearInterval(sweeper);
  if (!finished) {
    parts.logger.warn({ graceMs: parts.graceMs }, 'shutting down: grace period over, cutting the connections still open');
    server.closeAllConnections();
  }
  await parts.closeResources();
  parts.logger.info('stopped');
  return finished;
}
