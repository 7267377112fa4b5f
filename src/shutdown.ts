import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.js';

export interface ShutdownParts {
  readonly server: Server;
  readonly logger: Logger;
  /** Turns /readyz to 503. */
  stopBeingReady(): void;
  /** Closes what the service holds open: the pool, the cache, Redis, the sandbox. */
  closeResources(): Promise<void>;
  readonly drainMs: number;
  readonly graceMs: number;
}

/**
 * A graceful stop: readiness off (and, for `drainMs`, still accepting, so a load balancer notices and
 * stops sending traffic), then new connections refused while operations in flight finish, for at most
 * `graceMs`; then the remaining connections are cut and the resources closed.
 * @returns whether every operation in flight finished in time.
 */
export async function shutDown(parts: ShutdownParts): Promise<boolean> {
  parts.stopBeingReady();
  if (parts.drainMs > 0) {
    parts.logger.info({ drainMs: parts.drainMs }, 'shutting down: /readyz now answers 503; draining');
    await sleep(parts.drainMs);
  }
  parts.logger.info({ graceMs: parts.graceMs }, 'shutting down: refusing new connections, finishing the operations in flight');
  const closed = new Promise<void>((resolve) => parts.server.close(() => resolve()));
  // server.close() closes the connections idle now; one whose operation finishes later would stay open
  // for the keep-alive timeout (5 s) and hold the exit back, so idle connections are closed as they appear.
  parts.server.closeIdleConnections();
  const sweeper = setInterval(() => parts.server.closeIdleConnections(), 50);
  const grace = sleep(parts.graceMs, 'timeout' as const, { ref: false });
  const finished = (await Promise.race([closed.then(() => 'closed' as const), grace])) === 'closed';
  clearInterval(sweeper);
  if (!finished) {
    parts.logger.warn({ graceMs: parts.graceMs }, 'shutting down: grace period over, cutting the connections still open');
    parts.server.closeAllConnections();
  }
  await parts.closeResources();
  parts.logger.info('stopped');
  return finished;
}
