/**
 * The service as the benchmark runs it: what `node dist/main.js` runs (the compiled startService, the same
 * environment), plus the features the ablation table turns off, named in BENCH_FEATURES_OFF (comma-separated,
 * or `all`; see src/config/bench-switches.ts). Read here only: the service itself knows no such variable.
 * Run by Node's own type stripping, not tsx, so that the service runs exactly as compiled: `node bench/service.ts`.
 */
import type * as Config from '../src/config/index.js';
import type * as Logging from '../src/observability/logger.js';
import type * as Start from '../src/server/start.js';
import type * as Switches from '../src/config/bench-switches.js';

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { loadConfig } = (await import(dist('config/index.js'))) as typeof Config;
const { createLogger } = (await import(dist('observability/logger.js'))) as typeof Logging;
const { startService } = (await import(dist('server/start.js'))) as typeof Start;
const { featuresOff } = (await import(dist('config/bench-switches.js'))) as typeof Switches;

const config = loadConfig();
const logger = createLogger(config.telemetry.logLevel);
const service = await startService(config, logger, featuresOff(process.env['BENCH_FEATURES_OFF']));
process.once('SIGTERM', () => void service.stop().then(() => process.exit(0)));
