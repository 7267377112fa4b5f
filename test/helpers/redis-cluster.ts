import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTopology } from '../../src/config/index.js';
import { freePort, killRedis, READY, REDIS_ARGS, spawnRedis, stopRedis, type RedisProcess } from './redis.js';
import { until } from './until.js';

/** A Redis Cluster of masters only, each a real redis-server on a loopback port, started from the binary alone. */
export interface RedisCluster {
  /** The service's setting for it (REDIS_CLUSTER_NODES): every node. */
  readonly topology: RedisTopology;
  /** A plain connection to each node, for what a test asks every node (INFO, CONFIG RESETSTAT). */
  readonly nodes: readonly Redis[];
  /** SIGKILLs node `n`, as a crash would: its slots have no other copy. */
  kill(n: number): Promise<void>;
  /** Starts node `n` again on its port, empty, from its nodes file: it takes its slots back. */
  restart(n: number): Promise<void>;
  /** Resolves once every live node says the cluster is `state` (ok, or fail once a dead master is noticed). */
  state(state: 'ok' | 'fail'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `masters` nodes in cluster mode and joins them with `redis-cli --cluster create` (no replicas): the slots are
 * spread evenly, so a cache's keys land on every node. Resolves once every node says the cluster is ok.
 */
export async function startCluster(masters = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await clusterPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const children: RedisProcess[] = [];
  const dead = new Set<number>();
  // Each node keeps its view of the cluster in its own file, in the test's directory.
  const argsOf = (port: number) => [...REDIS_ARGS, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'];
  const live = () => nodes.filter((_, n) => !dead.has(n));
  const state = async (wanted: 'ok' | 'fail') => {
    // A dead master is noticed after cluster-node-timeout: each node logs it, rather than be asked in a loop meanwhile.
    if (wanted === 'fail') await Promise.all(children.filter((_, n) => !dead.has(n)).map((child) => child.logged(/Cluster state changed: fail/)));
    await until(async () => (await Promise.all(live().map((node) => node.cluster('INFO')))).every((info) => String(info).includes(`cluster_state:${wanted}`)));
  };
  const nodes: Redis[] = [];
  const stop = async () => {
    for (const node of nodes) node.disconnect();
    await Promise.all(children.map((child) => stopRedis(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) children.push(await spawnRedis(argsOf(port), READY));
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    nodes.push(
      ...ports.map((port) => {
        const node = new Redis({ host: '127.0.0.1', port });
        node.on('error', () => undefined); // a node the test kills
        return node;
      }),
    );
    await state('ok');
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    topology: { kind: 'cluster', nodes: ports.map((port) => ({ host: '127.0.0.1', port })) },
    nodes,
    async kill(n) {
      dead.add(n);
      await killRedis(children[n]!);
    },
    async restart(n) {
      children[n] = await spawnRedis(argsOf(ports[n]!), READY);
      dead.delete(n);
    },
    state,
    stop,
  };
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
