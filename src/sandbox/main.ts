import { cleanEnv, host, str } from 'envalid';
import { integer } from '../config-validators.js';
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
});

const accessKeys = env.SANDBOX_ACCESS_KEY && env.SANDBOX_SECRET_KEY ? [{ accessKey: env.SANDBOX_ACCESS_KEY, secretKey: env.SANDBOX_SECRET_KEY }] : undefined;
const sandbox = await startSandbox({ port: env.PORT, host: env.HOST, ...(accessKeys && { accessKeys }) });
process.stdout.write(`${JSON.stringify({ level: 30, msg: `sandbox of the legacy ECS API listening at ${sandbox.url.href}`, signatures: accessKeys !== undefined })}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
