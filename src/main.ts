import type { AddressInfo } from 'node:net';
import { createApp } from './graphql/app.js';
import { ConfigError, loadConfig } from './config.js';
import { createHttpServer } from './http-server.js';
import { createLogger } from './observability/logger.js';
import { startSandbox } from './sandbox/server.js';
import { createServices } from './services.js';
import { shutDown } from './shutdown.js';
import { loadTrustedDocuments } from './graphql/trusted-documents.js';

// The only file that reads the environment and listens.

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const trustedDocuments = config.http.trustedDocumentsFile ? await loadTrustedDocuments(config.http.trustedDocumentsFile).catch(exitOnConfigError) : undefined;

// No upstream configured: serve the built-in sandbox, and say so loudly, once.
// In service mode the sandbox checks signatures with the same keys, as the real API gateway would.
const sandbox = config.ecsEndpoint
  ? undefined
  : await startSandbox(config.auth.mode === 'service' ? { accessKeys: [{ accessKey: config.auth.accessKey, secretKey: config.auth.secretKey }] } : {});
const endpoint = sandbox?.url ?? config.ecsEndpoint!;
if (sandbox) {
  logger.warn(
    { sandbox: sandbox.url.href },
    `ECS_ENDPOINT is not set: using the built-in sandbox of the legacy API at ${sandbox.url.href} (sample images only, no real data)`,
  );
}
// The sandbox serves IMS too; config.ts has refused an IMS backend with no way to know where IMS is.
const imsEndpoint = config.backend.imsEndpoint ?? endpoint;
if (config.backend.imsDerived) logger.info({ ims: imsEndpoint.href }, `IMS_ENDPOINT is not set: using ${imsEndpoint.origin}, the IMS endpoint of ECS_ENDPOINT's region`);

if (config.auth.mode === 'service' && config.auth.callers.kind === 'network' && !sandbox) {
  logger.warn(
    'SERVICE_CALLER_AUTH=network: callers are not authenticated, and every one spends this service\'s AK/SK. Make sure that only the gateway can reach this service.',
  );
}

const services = createServices(config, { ecs: endpoint, ims: imsEndpoint }, { logger, tokenRequired: sandbox === undefined, trustedDocuments });
await services.ready();
const app = createApp(services.appDeps);
const http = createHttpServer(app, config.http);
const { server } = http;

server.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info(
    { upstream: (config.backend.kind === 'ims' ? imsEndpoint : endpoint).origin, backend: config.backend.kind, authMode: config.auth.mode, cache: config.cache.redisUrl ? 'redis' : 'memory', tracing: config.telemetry.otlpEndpoint !== undefined },
    `GraphQL endpoint ready at http://${host}:${port}${app.graphqlEndpoint}`,
  );
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    void shutDown({
      http,
      logger,
      stopBeingReady: () => services.stopBeingReady(),
      closeResources: async () => {
        await Promise.all([services.close(), sandbox?.close()]);
      },
      drainMs: config.shutdown.drainMs,
      graceMs: config.shutdown.graceMs,
    }).then(() => process.exit(0));
  });
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    return exitOnConfigError(error);
  }
}

function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
