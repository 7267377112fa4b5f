import { str } from 'envalid';
import type { Problem, Rule, Values } from './section.js';
import { hostPortList, integer, parseHostPort, redisUrl, secret } from './validators.js';

/**
 * Where the state every replica shares lives (the answer cache, the callers' allowances, remembered refusals, the
 * refusals per address): one Redis server, a Sentinel-managed master, or a Cluster. None: each process keeps its own.
 * docs/redis.md says what each topology needs and what the service does while Redis is away.
 */
export const REDIS_SETTINGS = {
  REDIS_URL: redisUrl({
    default: '',
    desc: 'One Redis server, e.g. `redis://cache:6379/0`; `rediss://` for TLS (the server\'s certificate is checked against Node\'s bundled CAs and `NODE_EXTRA_CA_CERTS`); `redis://user:password@host:6379` with an ACL user (or use `REDIS_USERNAME` and `REDIS_PASSWORD`). Also a managed primary endpoint whose name follows failovers. Only one of `REDIS_URL`, `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES`; none: every process keeps its own cache and allowances.',
  }),
  REDIS_SENTINELS: hostPortList({
    default: '',
    desc: 'Redis Sentinel: comma-separated `host:port` of the sentinels (e.g. `sentinel-0:26379,sentinel-1:26379,sentinel-2:26379`), asked where the master of `REDIS_SENTINEL_MASTER` is; the service follows a failover on its own. Only one of `REDIS_URL`, `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES`.',
  }),
  REDIS_SENTINEL_MASTER: str({
    default: '',
    desc: 'With `REDIS_SENTINELS` (required there): the name of the master group the sentinels monitor (their `sentinel monitor <name> ...` line), e.g. `mymaster`.',
  }),
  REDIS_SENTINEL_PASSWORD: secret({
    default: '',
    desc: 'With `REDIS_SENTINELS`: the password of the sentinels themselves (their `requirepass`), when they have one. The data nodes\' password is `REDIS_PASSWORD`. Never logged.',
  }),
  REDIS_CLUSTER_NODES: hostPortList({
    default: '',
    desc: 'Redis Cluster: comma-separated `host:port` of some of its nodes (e.g. `redis-0:6379,redis-1:6379,redis-2:6379`), from which the service learns the whole cluster and follows its slots. Only one of `REDIS_URL`, `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES`.',
  }),
  REDIS_USERNAME: str({
    default: '',
    desc: 'The ACL user the service logs in to Redis\'s data nodes as (any topology); unset: `default`. With `REDIS_URL`, either here or in the URL.',
  }),
  REDIS_PASSWORD: secret({
    default: '',
    desc: 'The password of Redis\'s data nodes (any topology: the master and replicas behind Sentinel, every Cluster node). With `REDIS_URL`, either here or in the URL. Never logged.',
  }),
  REDIS_COMMAND_TIMEOUT_MS: integer(10, 60_000)({
    default: 250,
    desc: 'Longest a Redis command may take; a slower one fails, and after three such failures in a row Redis is skipped for 5 s (the cache misses, allowances count per replica), so that a frozen or overloaded Redis never slows queries down much.',
  }),
};

type RedisEnv = Values<typeof REDIS_SETTINGS>;

/** A node or a sentinel. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The Redis an operator runs, as one of the three settings says. */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string; readonly username?: string | undefined; readonly password?: string | undefined }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      /** The master group's name. */
      readonly master: string;
      readonly sentinelPassword?: string | undefined;
      readonly username?: string | undefined;
      readonly password?: string | undefined;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[]; readonly username?: string | undefined; readonly password?: string | undefined };

/** Each topology's variable, in the order messages name them. */
const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/** The topology variables that are set (a list with no item is not). */
function topologiesSet(env: Partial<RedisEnv>): Array<(typeof TOPOLOGY_VARIABLES)[number]> {
  return TOPOLOGY_VARIABLES.filter((name) => {
    const value = env[name];
    return typeof value === 'string' ? value !== '' : value !== undefined && value.length > 0;
  });
}

/** Whether any Redis topology is set: the shared state lives in Redis. */
export const redisIsSet = (env: Partial<RedisEnv>): boolean => topologiesSet(env).length > 0;

/** A setting that only means something with another one: set alone, it would be silently ignored. */
function onlyWith(variable: keyof RedisEnv, value: string | undefined, needed: string, present: boolean): Problem | undefined {
  return value !== undefined && value !== '' && !present ? { variable, message: `only used with ${needed}, ${needed.includes(' or ') ? 'none of which is' : 'which is not'} set` } : undefined;
}

export const REDIS_RULES: Array<Rule<typeof REDIS_SETTINGS>> = [
  (env) => {
    const set = topologiesSet(env);
    if (set.length < 2) return undefined;
    const last = set.pop()!;
    return {
      variable: last,
      message: `set together with ${set.join(' and ')}: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) and REDIS_CLUSTER_NODES (Cluster)`,
    };
  },
  ({ REDIS_SENTINELS, REDIS_SENTINEL_MASTER }) =>
    REDIS_SENTINELS !== undefined && REDIS_SENTINELS.length > 0 && REDIS_SENTINEL_MASTER === ''
      ? { variable: 'REDIS_SENTINEL_MASTER', message: 'required with REDIS_SENTINELS: the name of the master group the sentinels monitor (their "sentinel monitor <name>" line)' }
      : undefined,
  ({ REDIS_SENTINELS, REDIS_SENTINEL_MASTER }) => onlyWith('REDIS_SENTINEL_MASTER', REDIS_SENTINEL_MASTER, 'REDIS_SENTINELS', REDIS_SENTINELS === undefined || REDIS_SENTINELS.length > 0),
  ({ REDIS_SENTINELS, REDIS_SENTINEL_PASSWORD }) => onlyWith('REDIS_SENTINEL_PASSWORD', REDIS_SENTINEL_PASSWORD, 'REDIS_SENTINELS', REDIS_SENTINELS === undefined || REDIS_SENTINELS.length > 0),
  (env) => onlyWith('REDIS_USERNAME', env.REDIS_USERNAME, 'REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES', redisIsSet(env)),
  (env) => onlyWith('REDIS_PASSWORD', env.REDIS_PASSWORD, 'REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES', redisIsSet(env)),
  // Two places for one credential: which one wins would be a guess.
  ({ REDIS_URL, REDIS_USERNAME, REDIS_PASSWORD }) => {
    if (!REDIS_URL) return undefined;
    const url = new URL(REDIS_URL);
    // ioredis would read options from the query, a password among them, which the logs would then carry.
    if (url.search !== '') return { variable: 'REDIS_URL', message: 'has a query string (?...): give the password in the URL (redis://:PASSWORD@host) or REDIS_PASSWORD' };
    if (REDIS_PASSWORD && url.password !== '') return { variable: 'REDIS_PASSWORD', message: 'set together with a password in REDIS_URL: give it in one place' };
    if (REDIS_USERNAME && url.username !== '') return { variable: 'REDIS_USERNAME', message: 'set together with a user name in REDIS_URL: give it in one place' };
    return undefined;
  },
];

const addresses = (list: readonly string[]): HostPort[] => list.map((item) => parseHostPort(item)!);

export function readRedis(env: RedisEnv) {
  const credentials = { username: env.REDIS_USERNAME || undefined, password: env.REDIS_PASSWORD || undefined };
  let topology: RedisTopology | undefined;
  if (env.REDIS_URL) topology = { kind: 'single', url: env.REDIS_URL, ...credentials };
  else if (env.REDIS_SENTINELS.length > 0) {
    topology = {
      kind: 'sentinel',
      sentinels: addresses(env.REDIS_SENTINELS),
      master: env.REDIS_SENTINEL_MASTER,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
      ...credentials,
    };
  } else if (env.REDIS_CLUSTER_NODES.length > 0) topology = { kind: 'cluster', nodes: addresses(env.REDIS_CLUSTER_NODES), ...credentials };
  return {
    /** Undefined: no Redis; every process keeps its own cache and counts. */
    topology,
    /** A command that takes longer fails: Redis must never slow a query down much. */
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
  };
}

export type RedisConfig = ReturnType<typeof readRedis>;
