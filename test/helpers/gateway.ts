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
  const port = await freePort();
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
    child.once('exit', (code) => reject(new Error(`hive-gateway exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}
