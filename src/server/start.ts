import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTrustedDocuments } from '../config/trusted-documents.js';
import type { Config } from '../config/index.js';
import { createApp } from '../graphql/app.js';
import type { Logger } from '../observability/logger.js';
import { resolveEndpoints } from './endpoints.js';
import { createHttpServer } from './http-server.js';
import { createServices } from './services.js';
import { shutDown } from './shutdown.js';

/** A started service: where it listens, and how to stop it gracefully. */
export interface RunningService {
  readonly url: URL;
  /** The graceful stop of shutdown.ts; resolves once everything is closed. */
  stop(): Promise<void>;
}

/** The service could not start for a reason its operator can fix: the message says what to change. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Starts the whole service from a validated config: the upstream endpoints (or the built-in sandbox), the
 * long-lived services, the GraphQL app and its HTTP server, listening on HOST:PORT.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const trustedDocuments = config.server.trustedDocumentsFile ? await loadTrustedDocuments(config.server.trustedDocumentsFile) : undefined;
  const endpoints = await resolveEndpoints(config, logger);
  const { auth } = config.callers;
  if (auth.mode === 'service' && auth.callers.kind === 'network' && !endpoints.sandbox) {
    logger.warn(
      "SERVICE_CALLER_AUTH=network: callers are not authenticated, and every one spends this service's AK/SK. Make sure that only the gateway can reach this service.",
    );
  }
  const services = createServices(config, endpoints, { logger, tokenRequired: endpoints.sandbox === undefined, trustedDocuments });
  await services.ready();
  const app = createApp(services.appDeps);
  const http = createHttpServer(app, config.server, logger);
  const closeResources = async () => {
    await Promise.all([services.close(), endpoints.sandbox?.close()]);
  };
  let url: URL;
  try {
    url = await listen(http.server, config.server.port, config.server.host, app.graphqlEndpoint);
  } catch (error) {
    await closeResources();
    throw error;
  }
  logger.info(
    {
      upstream: endpoints.primary.origin,
      backend: config.backend.kind,
      authMode: auth.mode,
      cache: config.cache.redisUrl ? 'redis' : 'memory',
      tracing: config.telemetry.otlpEndpoint !== undefined,
    },
    `GraphQL endpoint ready at ${url.href}`,
  );
  return {
    url,
    stop: async () => {
      await shutDown({
        http,
        logger,
        stopBeingReady: () => services.stopBeingReady(),
        closeResources,
        drainMs: config.server.drainMs,
        graceMs: config.server.graceMs,
      });
    },
  };
}

/** Listens on `host:port`; a port in use or an address that is not this machine's is a StartError that says which. */
function listen(server: Server, port: number, host: string, path: string): Promise<URL> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new StartError(`Cannot listen on ${where}: the address is already in use (is another instance running?). Set PORT, or HOST, to a free one.`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new StartError(`Cannot listen on ${where}: HOST is not an address of this machine. Set HOST to one of its addresses, or 0.0.0.0 for all.`));
      else if (error.code === 'EACCES') reject(new StartError(`Cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const { address, port: actual } = server.address() as AddressInfo;
      resolve(new URL(`http://${address.includes(':') ? `[${address}]` : address}:${actual}${path}`));
    });
  });
}
