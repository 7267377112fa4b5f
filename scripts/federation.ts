/**
 * The federated example without Docker: this service (against its built-in sandbox), the sample `servers`
 * subgraph and Hive Gateway over the two, composed for their loopback URLs, all from this repository.
 * Usage: npm run federation   (then open http://127.0.0.1:4000/graphql; Ctrl+C stops everything)
 * Ports: GATEWAY_PORT (4000), IMAGES_PORT (4001), SERVERS_PORT (4002).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, port } from 'envalid';
import { serverUrl, startServersSubgraph } from '../examples/servers-subgraph/subgraph.js';
import { composeSupergraph } from './supergraph.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ports = cleanEnv(process.env, {
  GATEWAY_PORT: port({ default: 4000 }),
  IMAGES_PORT: port({ default: 4001 }),
  SERVERS_PORT: port({ default: 4002 }),
});

const children: ChildProcess[] = [];
let servers: Server | undefined;
let directory: string | undefined;
let stopping = false;

/** Stops everything this script started, then exits with `code`. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
  await new Promise((resolve) => (servers ? servers.close(resolve) : resolve(undefined)));
  if (directory) await rm(directory, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll(0));

/** Runs `command`, its output on this terminal, and resolves once the output shows `ready`. If it dies, everything stops. */
function start(command: string, args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    process.stderr.write(`${command} stopped (${signal ?? code}): stopping the rest\n`);
    void stopAll(1);
  });
  return new Promise((resolve) => {
    let seen = '';
    let started = false;
    const onData = (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (started) return;
      seen = (seen + chunk.toString()).slice(-ready.length - 4096);
      started = seen.includes(ready);
      if (started) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

servers = await startServersSubgraph(ports.SERVERS_PORT, '127.0.0.1');
await start(process.execPath, ['--import', 'tsx', 'src/main.ts'], { PORT: String(ports.IMAGES_PORT), HOST: '127.0.0.1' }, 'GraphQL endpoint ready at');
directory = await mkdtemp(join(tmpdir(), 'supergraph-'));
const supergraph = join(directory, 'supergraph.graphql');
await writeFile(supergraph, composeSupergraph({ images: `http://127.0.0.1:${ports.IMAGES_PORT}/graphql`, servers: serverUrl(servers) }));
await start(
  join(ROOT, 'node_modules/.bin/hive-gateway'),
  ['supergraph', supergraph, '--host', '127.0.0.1', '--port', String(ports.GATEWAY_PORT), '-c', 'federation/gateway.config.ts'],
  { NO_COLOR: '1' },
  `Listening on http://127.0.0.1:${ports.GATEWAY_PORT}`,
);
process.stdout.write(`\nThe supergraph is ready at http://127.0.0.1:${ports.GATEWAY_PORT}/graphql. Try: { servers { name image { id osType osBit platform } } }\n`);
