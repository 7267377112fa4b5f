import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { RedisTopology } from '../../src/config/index.js';

/** A real redis-server (Debian's, installed by .ci/run) on a free loopback port, with no persistence. */
export interface RedisServer {
  readonly url: string;
  /** The service's setting for it (REDIS_URL). */
  readonly topology: RedisTopology;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the process (SIGSTOP): connections stay open, nothing is answered, as a frozen server behaves. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    topology: { kind: 'single', url: `redis://127.0.0.1:${port}` },
    kill: () => killRedis(child),
    async restart() {
      child = await launch(port);
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
    stop: () => stopRedis(child),
  };
}

/**
 * No persistence (a cache only), and a memory bound with the eviction every key of the service allows (each has a
 * TTL: docs/caching.md, "Sizing Redis"). docker-compose.yml runs `redis-server` with the same arguments.
 */
export const REDIS_ARGS = ['--save', '', '--appendonly', 'no', '--maxmemory', '256mb', '--maxmemory-policy', 'volatile-lru'];

function launch(port: number): Promise<ChildProcess> {
  return spawnRedis([...REDIS_ARGS, '--port', String(port), '--bind', '127.0.0.1'], READY);
}

/** A redis-server process, and what it has written to its log. */
export type RedisProcess = ChildProcess & {
  /** Resolves once the log holds `count` lines that match `pattern` (written already or still to come). */
  logged(pattern: RegExp, count?: number): Promise<void>;
};

/** What a node logs once it accepts connections. */
export const READY = /Ready to accept connections/;

/**
 * Runs `redis-server` with `args` and resolves once its log says `ready` (a node's "Ready to accept connections", a
 * sentinel's "+monitor"); `logged` waits for later lines (test/helpers/redis-sentinel.ts: what a sentinel learnt).
 */
export async function spawnRedis(args: readonly string[], ready: RegExp): Promise<RedisProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A server outlives the test process that started it unless told otherwise: a test that timed out, whose cleanup
  // never ran, left a whole Sentinel group running. Killed when this process exits, whatever ran or did not.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiters) check();
  });
  const logged = (pattern: RegExp, count = 1) =>
    new Promise<void>((resolve) => {
      const global = new RegExp(pattern.source, 'gm');
      const check = () => {
        if ((output.match(global)?.length ?? 0) < count) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  // Until it is ready, an exit is a failure to start (only that listener goes: the one above stays).
  let exitedEarly: (code: number | null) => void = () => undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
    exitedEarly = (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`));
    child.once('exit', exitedEarly);
    void logged(ready).then(resolve);
  });
  child.off('exit', exitedEarly);
  return Object.assign(child, { logged });
}

/** Stops a redis-server (SIGCONT first: a frozen one would not hear SIGTERM) and waits for it to exit. */
export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Kills a redis-server at once (SIGKILL), as a crash would, and waits for it to be gone. */
export async function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
