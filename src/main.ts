import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectLegacyApi } from './legacy/connect.js';
import { createLogger } from './logger.js';
import { startSandbox } from './sandbox/server.js';

// The only file that reads the environment and listens.

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);

// No upstream configured: serve the built-in sandbox, and say so loudly, once.
const sandbox = config.ecsEndpoint ? undefined : await startSandbox();
const endpoint = sandbox?.url ?? config.ecsEndpoint!;
if (sandbox) {
  logger.warn(
    { sandbox: sandbox.url.href },
    `ECS_ENDPOINT is not set: using the built-in sandbox of the legacy API at ${sandbox.url.href} (sample images only, no real data)`,
  );
}

const { client, pool } = connectLegacyApi(endpoint, config.upstream);
const app = createApp({ client, limits: config.limits, tokenRequired: sandbox === undefined, logger });
const server = createServer(app);

server.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info({ upstream: endpoint.origin }, `GraphQL endpoint ready at http://${host}:${port}${app.graphqlEndpoint}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      void Promise.all([pool.close(), sandbox?.close()]).then(() => process.exit(0));
    });
    server.closeIdleConnections();
  });
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
