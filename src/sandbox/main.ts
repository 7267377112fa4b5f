import { bool, cleanEnv, host, str } from 'envalid';
import { integer } from '../config/validators.js';
import { startSandbox } from './server.js';

/**
 * The sandbox as a program of its own (docker-compose.yml runs it as the `sandbox` service):
 * `node dist/sandbox/main.js`. With SANDBOX_ACCESS_KEY and SANDBOX_SECRET_KEY it checks AK/SK signatures.
 */
const env = cleanEnv(process.env, {
  PORT: integer(0, 65_535)({ default: 8080, desc: 'TCP port to listen on; 0 picks a free one.' }),
  HOST: host({ default: '127.0.0.1', desc: 'Interface to listen on.' }),
  SANDBOX_ACCESS_KEY: str({ default: '', desc: 'With SANDBOX_SECRET_KEY: demand requests signed with this key.' }),
  SANDBOX_SECRET_KEY: str({ default: '', desc: 'The secret of SANDBOX_ACCESS_KEY.' }),
  SANDBOX_LATENCY_MS: integer(0, 60_000)({ default: 0, desc: 'How long every ordinary answer waits, as a real upstream would.' }),
  SANDBOX_ANY_IMAGE: bool({ default: false, desc: "Every image id in every project exists, with the documented example's metadata (for benchmarks)." }),
});

const accessKeys = env.SANDBOX_ACCESS_KEY && env.SANDBOX_SECRET_KEY ? [{ accessKey: env.SANDBOX_ACCESS_KEY, secretKey: env.SANDBOX_SECRET_KEY }] : undefined;
const sandbox = await startSandbox({
  port: env.PORT,
  host: env.HOST,
  latencyMs: env.SANDBOX_LATENCY_MS,
  anyImage: env.SANDBOX_ANY_IMAGE,
  // A long-running program keeps no log of requests, only their count (GET /_sandbox/stats).
  keepRequests: false,
  ...(accessKeys && { accessKeys }),
});
process.stdout.write(`${JSON.stringify({ level: 30, msg: `sandbox of ECS and IMS listening at ${sandbox.url.href}`, signatures: accessKeys !== undefined })}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
