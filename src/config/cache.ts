import type { CALLER_SETTINGS } from './callers.js';
import type { Rule, Values } from './section.js';
import { redisIsSet, type REDIS_SETTINGS } from './redis.js';
import { integer, optionalInteger, secret } from './validators.js';

/** The cache of upstream answers: how long they are kept, and how much of this process's memory it takes without Redis (redis.ts). */
export const CACHE_SETTINGS = {
  CACHE_TTL_SECONDS: integer(0, 86_400)({
    default: 60,
    desc: 'How long an image\'s metadata is served from the cache, across requests; 0 turns caching off.',
  }),
  CACHE_NOT_FOUND_TTL_SECONDS: integer(0, 86_400)({
    default: 10,
    desc: 'How long a "does not exist" (404) answer is cached; 0 never caches it. Errors are never cached.',
  }),
  CACHE_STALE_IF_ERROR_SECONDS: integer(0, 86_400)({
    default: 300,
    desc: "How long past its TTL an image's metadata is kept to answer with when the upstream fails (`UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT` or an open circuit); such an answer is marked in `extensions.stale`. Never an answer fetched before the upstream refused that caller (401, or 403 in that project). 0: never.",
  }),
  CACHE_MAX_BYTES: optionalInteger(1024, 2 ** 40)({
    default: '',
    desc: 'Size bound of the in-memory cache, in bytes of heap its entries really take (least recently used entries go first). Unset: an eighth of the memory the process may use (its container\'s limit, `process.constrainedMemory()`), at most 64 MiB: 32 MiB under a 256 MiB limit. Not used with Redis.',
  }),
  CACHE_KEY_SECRET: secret({
    default: '',
    desc: "Key of the HMAC that turns a caller's token into its cache scope. Required (32+ characters, the same on every replica) with Redis (`REDIS_URL`, `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES`) in passthrough mode; otherwise a random one is made at start.",
  }),
};

export const CACHE_RULES: Array<Rule<typeof CACHE_SETTINGS & Pick<typeof CALLER_SETTINGS, 'AUTH_MODE'> & typeof REDIS_SETTINGS>> = [
  (env) =>
    redisIsSet(env) && env.AUTH_MODE === 'passthrough' && env.CACHE_KEY_SECRET !== undefined && env.CACHE_KEY_SECRET.length < 32
      ? {
          variable: 'CACHE_KEY_SECRET',
          message: 'required, at least 32 characters, with Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES) in passthrough mode, so that every replica derives the same cache keys',
        }
      : undefined,
];

/** The in-memory cache's size when CACHE_MAX_BYTES is not set: a share of the memory the process may use, bounded. */
export function defaultCacheBytes(memoryLimitBytes: number): number {
  return Math.min(64 * 1024 * 1024, Math.floor(memoryLimitBytes / 8));
}

/** @param memoryLimitBytes the memory the process may use (`process.constrainedMemory()`, at most the machine's) */
export function readCache(env: Values<typeof CACHE_SETTINGS>, memoryLimitBytes: number) {
  return {
    /** 0: no caching. */
    ttlMs: env.CACHE_TTL_SECONDS * 1000,
    notFoundTtlMs: env.CACHE_NOT_FOUND_TTL_SECONDS * 1000,
    /** How long past its TTL metadata is kept, to answer with when the upstream fails. */
    staleIfErrorMs: env.CACHE_STALE_IF_ERROR_SECONDS * 1000,
    maxBytes: env.CACHE_MAX_BYTES === '' ? defaultCacheBytes(memoryLimitBytes) : Number(env.CACHE_MAX_BYTES),
    /** The HMAC key for token scopes; undefined means "make a random one" (a cache no other process shares). */
    keySecret: env.CACHE_KEY_SECRET || undefined,
  };
}

export type CacheConfig = ReturnType<typeof readCache>;
