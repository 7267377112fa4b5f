import { LRUCache } from 'lru-cache';
import type { CacheStore } from './store.js';

/** A per-process store, bounded in bytes: the least recently used entries make room for new ones. */
export function createMemoryStore(maxBytes: number): CacheStore {
  const cache = new LRUCache<string, string>({
    maxSize: maxBytes,
    // JavaScript strings take about two bytes a character; close enough for a bound.
    sizeCalculation: (value, key) => 2 * (value.length + key.length),
  });
  return {
    ready: async () => undefined,
    get: async (key) => cache.get(key),
    set: async (key, value, ttlMs) => {
      cache.set(key, value, { ttl: ttlMs });
    },
    close: async () => cache.clear(),
  };
}
