import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The gateway's configuration, the same file docker-compose.yml mounts. */
export const GATEWAY_CONFIG = 'federation/gateway.config.ts';

export interface RunningGateway {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A real Hive Gateway over `supergraphSdl`, run exactly as docker-compose.yml runs it:
 * `hive-gateway supergraph <file> -c federation/gateway.config.ts` (or another `config`), here on a free loopback port.
 */
export async function startGateway(supergraphSdl: string, config = GATEWAY_CONFIG): Promise<RunningGateway> {
  const directory = await mkdtemp(join(tmpdir(), 'supergraph-'));
  const file = join(directory, 'supergraph.graphql');
  await writeFile(file, supergraphSdl);
  // hive-gateway cannot listen on port 0 and say which it got: a free port is picked first, and another process
  // (tests run two files at a time, each starting servers) may take it before the gateway does. Then another is
  // picked: a lost race for a port, not a failure of the gateway.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return { url: `http://127.0.0.1:${port}/graphql`, stop: await launch(file, port, config) };
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}

class PortTaken extends Error {}

/** Runs hive-gateway on `port`; resolves, once it listens, to what stops it. */
async function launch(file: string, port: number, config: string): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn(
    join(ROOT, 'node_modules/.bin/hive-gateway'),
    ['supergraph', file, '--host', '127.0.0.1', '--port', String(port), '-c', config],
    { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Listening on http://127.0.0.1:${port}`)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      const message = `hive-gateway exited with ${code}:\n${output}`;
      reject(output.includes(`EADDRINUSE: address already in use 127.0.0.1:${port}`) ? new PortTaken(message) : new Error(message));
    });
  });
  return async () => {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  };
}
