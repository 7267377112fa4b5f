/**
 * The federated example without Docker: this service (against its built-in sandbox), the sample `servers`
 * subgraph and Hive Gateway over the two, composed for their loopback URLs, all from this repository.
 * Usage: npm run federation   (then open http://127.0.0.1:4000/graphql; Ctrl+C stops everything)
 * Ports: GATEWAY_PORT (4000), IMAGES_PORT (4001), SERVERS_PORT (4002).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverUrl, startServersSubgraph } from '../src/examples/servers-subgraph.js';
import { composeSupergraph } from './supergraph.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ports = { gateway: port('GATEWAY_PORT', 4000), images: port('IMAGES_PORT', 4001), servers: port('SERVERS_PORT', 4002) };

/** Runs `command` and resolves once its output shows `ready`; its output goes to this terminal. */
function start(command: string, args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
      if (output.includes(ready)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

const servers = await startServersSubgraph(ports.servers, '127.0.0.1');
const images = await start(process.execPath, ['--import', 'tsx', 'src/main.ts'], { PORT: String(ports.images), HOST: '127.0.0.1' }, 'GraphQL endpoint ready at');
const supergraph = join(await mkdtemp(join(tmpdir(), 'supergraph-')), 'supergraph.graphql');
await writeFile(supergraph, composeSupergraph({ images: `http://127.0.0.1:${ports.images}/graphql`, servers: serverUrl(servers) }));
const gateway = await start(
  join(ROOT, 'node_modules/.bin/hive-gateway'),
  ['supergraph', supergraph, '--host', '127.0.0.1', '--port', String(ports.gateway), '-c', 'federation/gateway.config.ts'],
  { NO_COLOR: '1' },
  `Listening on http://127.0.0.1:${ports.gateway}`,
);
process.stdout.write(`\nThe supergraph is ready at http://127.0.0.1:${ports.gateway}/graphql. Try: { servers { name image { id osType osBit platform } } }\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    gateway.kill('SIGTERM');
    images.kill('SIGTERM');
    servers.close(() => process.exit(0));
  });
}
