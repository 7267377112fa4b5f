import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisTopology } from '../../src/config/index.js';
import { freePort, killRedis, READY, REDIS_ARGS, spawnRedis, stopRedis, type RedisProcess } from './redis.js';
import { until } from './until.js';

/** The master group's name, as the sentinels' `sentinel monitor` line gives it. */
export const MASTER_NAME = 'mymaster';

/** How long a master may not answer before a sentinel thinks it down, and how long a failover may take. */
const DOWN_AFTER_MS = 500;
// A failover whose election split the votes is tried again after twice this.
const FAILOVER_TIMEOUT_MS = 2000;

/** A data node: the master at start, or its replica. */
export interface DataNode {
  readonly port: number;
  /** A plain connection, for what a test asks the node (CLIENT LIST, INFO). */
  readonly client: Redis;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Resolves once the node's log holds `count` lines that match `pattern` (e.g. its demotion, "REPLICAOF ... enabled"). */
  logged(pattern: RegExp, count?: number): Promise<void>;
}

/** A master, its replica and three sentinels, each a real redis-server on a loopback port. */
export interface RedisSentinels {
  /** The service's settings for it (REDIS_SENTINELS, REDIS_SENTINEL_MASTER). */
  readonly topology: RedisTopology;
  /** The master at start, then its replica. */
  readonly nodes: readonly [DataNode, DataNode];
  /** A plain connection to each sentinel, for SENTINEL commands. */
  readonly sentinels: readonly Redis[];
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /**
   * Subscribes to a sentinel's +switch-master, and resolves once subscribed (so that the test triggers a failover
   * only then) with `switched`: the new master's port, at the next switch.
   */
  watchSwitch(): Promise<{ switched: Promise<number> }>;
  /**
   * Resolves once the replica has every write the master had when called (replication is asynchronous: a master
   * killed a moment after a write may take it along).
   */
  replicaCaughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a master, a replica of it and three sentinels (quorum 2) that watch it, with short timeouts so that a
 * failover takes a few seconds, each sentinel's configuration in a file of a temporary directory (a sentinel rewrites
 * it). Resolves once the replica has synchronised and every sentinel monitors the master, knowing the replica and
 * the two other sentinels from its configuration: from then on they can agree that the master is down and elect one
 * of them to fail it over. With `passwords`, the data nodes (`data`) and the sentinels (`sentinel`) require them.
 */
export async function startSentinels(passwords: { data?: string; sentinel?: string } = {}): Promise<RedisSentinels> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-sentinel-'));
  const processes: RedisProcess[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(processes.map((child) => stopRedis(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    const auth = passwords.data === undefined ? [] : ['--requirepass', passwords.data, '--masterauth', passwords.data];
    const node = (port: number, ...more: string[]) => spawnRedis([...REDIS_ARGS, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...auth, ...more], READY);
    // Sync through a file: Redis 7.0's diskless sync once left a replica "online" at offset 0, receiving nothing.
    // Each process is stop()'s to stop as soon as it runs, so that a later one failing to start leaves none behind.
    const master = await node(masterPort, '--repl-diskless-sync', 'no');
    processes.push(master);
    const replica = await node(replicaPort, '--replicaof', '127.0.0.1', String(masterPort), '--repl-diskless-sync', 'no');
    processes.push(replica);
    await replica.logged(/MASTER <-> REPLICA sync: Finished with success/);
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    // Each sentinel is told its own id, the other sentinels and the replica up front, rather than learning them from
    // hello messages (every 2 s) and the master's INFO (every 10 s): the group is ready within a second.
    const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'));
    const sentinels = await Promise.all(
      sentinelPorts.map(async (port, n) => {
        const file = join(dir, `sentinel-${port}.conf`);
        await writeFile(
          file,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel myid ${ids[n]}`,
            `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
            `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
            `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
            `sentinel known-replica ${MASTER_NAME} 127.0.0.1 ${replicaPort}`,
            ...(passwords.data === undefined ? [] : [`sentinel auth-pass ${MASTER_NAME} ${passwords.data}`]),
            // A sentinel with a password asks the others for it too.
            ...(passwords.sentinel === undefined ? [] : [`requirepass ${passwords.sentinel}`, `sentinel sentinel-pass ${passwords.sentinel}`]),
            ...sentinelPorts.flatMap((other, m) => (m === n ? [] : [`sentinel known-sentinel ${MASTER_NAME} 127.0.0.1 ${other} ${ids[m]}`])),
            '',
          ].join('\n'),
        );
        const sentinel = await spawnRedis([file, '--sentinel'], /\+monitor master/);
        processes.push(sentinel);
        return sentinel;
      }),
    );
    const dataNode = (port: number, child: RedisProcess): DataNode => {
      // Reconnects: a sentinel that promotes or demotes a node closes its clients (CLIENT KILL TYPE normal).
      const client = new Redis({ host: '127.0.0.1', port, password: passwords.data });
      client.on('error', () => undefined); // a node the test kills
      clients.push(client);
      return { port, client, kill: () => killRedis(child), logged: (pattern, count) => child.logged(pattern, count) };
    };
    const nodes = [dataNode(masterPort, master), dataNode(replicaPort, replica)] as const;
    const sentinelClients = sentinelPorts.map((port) => new Redis({ host: '127.0.0.1', port, password: passwords.sentinel }));
    clients.push(...sentinelClients);
    return {
      topology: {
        kind: 'sentinel',
        sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
        master: MASTER_NAME,
        sentinelPassword: passwords.sentinel,
        password: passwords.data,
      },
      nodes,
      sentinels: sentinelClients,
      async masterPort() {
        const [, port] = (await sentinelClients[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
        return Number(port);
      },
      async watchSwitch() {
        const subscriber = new Redis({ host: '127.0.0.1', port: sentinelPorts[0]!, password: passwords.sentinel });
        clients.push(subscriber);
        const switched = new Promise<number>((resolve) =>
          subscriber.once('message', (_channel: string, message: string) => {
            // "<name> <old host> <old port> <new host> <new port>"
            resolve(Number(message.split(' ')[4]));
            subscriber.disconnect();
          }),
        );
        await subscriber.subscribe('+switch-master');
        return { switched };
      },
      async replicaCaughtUp() {
        const offset = (info: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1]);
        const written = offset(await nodes[0].client.info('replication'), 'master_repl_offset');
        await until(async () => offset(await nodes[1].client.info('replication'), 'slave_repl_offset') >= written);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
