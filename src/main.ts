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

// The API that answers has no endpoint: serve the built-in sandbox (both APIs), and say so loudly, once. (With
// shadow, config.ts has made sure both have an endpoint or neither.) In service mode the sandbox checks
// signatures with the same keys, as the real API gateway would.
const answering = config.backend.kind === 'ims' ? { name: 'IMS_ENDPOINT', endpoint: config.backend.imsEndpoint } : { name: 'ECS_ENDPOINT', endpoint: config.ecsEndpoint };
const sandbox = answering.endpoint
  ? undefined
  : await startSandbox(config.auth.mode === 'service' ? { accessKeys: [{ accessKey: config.auth.accessKey, secretKey: config.auth.secretKey }] } : {});
if (sandbox) {
  logger.warn(
    { sandbox: sandbox.url.href },
    `${answering.name} is not set: using the built-in sandbox of the legacy API and IMS at ${sandbox.url.href} (sample images only, no real data)`,
  );
}
const imsEndpoint = config.backend.imsEndpoint ?? sandbox?.url;
if (config.backend.imsDerived) logger.info({ ims: imsEndpoint!.href }, `IMS_ENDPOINT is not set: using ${imsEndpoint!.origin}, the IMS endpoint of ECS_ENDPOINT's region`);
// With IMAGE_BACKEND=ecs, IMS is never called (and with ims, ECS is not): the other endpoint is then a stand-in.
const endpoint = config.ecsEndpoint ?? sandbox?.url ?? imsEndpoint!;

if (config.auth.mode === 'service' && config.auth.callers.kind === 'network' && !sandbox) {
  logger.warn(
    'SERVICE_CALLER_AUTH=network: callers are not authenticated, and every one spends this service\'s AK/SK. Make sure that only the gateway can reach this service.',
  );
}

const services = createServices(config, { ecs: endpoint, ims: imsEndpoint ?? endpoint }, { logger, tokenRequired: sandbox === undefined, trustedDocuments });
await services.ready();
const app = createApp(services.appDeps);
const http = createHttpServer(app, config.http);
const { server } = http;

server.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info(
    { upstream: (config.backend.kind === 'ims' ? (imsEndpoint ?? endpoint) : endpoint).origin, backend: config.backend.kind, authMode: config.auth.mode, cache: config.cache.redisUrl ? 'redis' : 'memory', tracing: config.telemetry.otlpEndpoint !== undefined },
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
