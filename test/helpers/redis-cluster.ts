import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTopology } from '../../src/config/index.js';
import { freePort, READY, REDIS_ARGS, spawnRedis, stopRedis } from './redis.js';
import { until } from './until.js';

/** A Redis Cluster of masters only, each a real redis-server on a loopback port, started from the binary alone. */
export interface RedisCluster {
  /** The service's setting for it (REDIS_CLUSTER_NODES): every node. */
  readonly topology: RedisTopology;
  /** A plain connection to each node, for what a test asks every node (INFO, CONFIG RESETSTAT). */
  readonly nodes: readonly Redis[];
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
  const children: ChildProcess[] = [];
  const nodes: Redis[] = [];
  const stop = async () => {
    for (const node of nodes) node.disconnect();
    await Promise.all(children.map((child) => stopRedis(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      // Each node keeps its view of the cluster in its own file, in the test's directory.
      const args = [...REDIS_ARGS, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'];
      children.push(await spawnRedis(args, READY));
    }
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    nodes.push(...ports.map((port) => new Redis({ host: '127.0.0.1', port })));
    await until(async () => (await Promise.all(nodes.map((node) => node.cluster('INFO')))).every((info) => String(info).includes('cluster_state:ok')));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    topology: { kind: 'cluster', nodes: ports.map((port) => ({ host: '127.0.0.1', port })) },
    nodes,
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
