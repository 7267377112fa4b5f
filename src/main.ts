import { ConfigError, loadConfig } from './config/index.js';
import { createLogger } from './observability/logger.js';
import { StartError } from './server/listen.js';
import { startService } from './server/start.js';

// The program: reads the environment, starts the service, and stops it on SIGTERM or SIGINT. A setting or a
// start-up problem its operator can fix is one plain message on stderr and exit code 1, never a stack.

const config = loadConfigOrExit();
const logger = createLogger(config.telemetry.logLevel);
const service = await startService(config, logger).catch(exitIfFixable);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    void service.stop().then(() => process.exit(0));
  });
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    return exitIfFixable(error);
  }
}

function exitIfFixable(error: unknown): never {
  if (!(error instanceof ConfigError || error instanceof StartError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
