import { createAccess } from './access.js';
import type { AppDeps } from './app.js';
import { Coalescer } from './cache/coalescer.js';
import { ImageCache } from './cache/image-cache.js';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import type { Config } from './config.js';
import { ImageSource } from './image-source.js';
import { connectLegacyApi, type LegacyApi } from './legacy/connect.js';
import type { ImageMetadata } from './legacy/image-metadata.js';
import type { Logger } from './logger.js';

/** The long-lived parts of the service, made once at start from the config and closed on shutdown. */
export interface Services {
  readonly appDeps: AppDeps;
  readonly legacy: LegacyApi;
  readonly cache: ImageCache;
  readonly coalescer: Coalescer<ImageMetadata | null>;
  /** Resolves once the cache store is connected (or has given up trying, for now). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * @param endpoint the legacy API (the configured one, or the built-in sandbox)
 * @param tokenRequired whether a passthrough caller must bring a token (false only for the built-in sandbox)
 */
export function createServices(config: Config, endpoint: URL, options: { logger: Logger; tokenRequired: boolean }): Services {
  const legacy = connectLegacyApi(endpoint, config.upstream);
  const store = config.cache.redisUrl ? createRedisStore(config.cache.redisUrl, options.logger) : createMemoryStore(config.cache.maxBytes);
  const cache = new ImageCache(store, config.cache);
  const coalescer = new Coalescer<ImageMetadata | null>();
  const source = new ImageSource(legacy.client, cache, coalescer);
  const access = createAccess(config.auth, { tokenRequired: options.tokenRequired, tokenScope: (token) => cache.tokenScope(token) });
  return {
    appDeps: { source, access, limits: config.limits, logger: options.logger },
    legacy,
    cache,
    coalescer,
    ready: () => store.ready(),
    async close() {
      await Promise.all([legacy.pool.close(), store.close()]);
    },
  };
}
