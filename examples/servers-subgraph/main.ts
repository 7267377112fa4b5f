import { cleanEnv, host } from 'envalid';
import { integer } from '../../src/config/validators.js';
import { serverUrl, startServersSubgraph } from './subgraph.js';

/**
 * The sample `servers` subgraph as a program, for docker-compose.yml's `servers` service (the image's `demo` target):
 * `node --import tsx examples/servers-subgraph/main.ts`. A demo, not part of the service: it is not compiled into dist/.
 */
const env = cleanEnv(process.env, {
  PORT: integer(0, 65_535)({ default: 4002, desc: 'TCP port to listen on; 0 picks a free one.' }),
  HOST: host({ default: '127.0.0.1', desc: 'Interface to listen on.' }),
});

const server = await startServersSubgraph(env.PORT, env.HOST);
process.stdout.write(`${JSON.stringify({ level: 30, msg: `sample servers subgraph listening at ${serverUrl(server)}` })}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close(() => process.exit(0)));
