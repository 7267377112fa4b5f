import { LRUCache } from 'lru-cache';
import type { CacheRecord, CacheStore } from '../images/cache/store.js';

/**
 * A per-process store, bounded by the heap its entries really take: the least recently used entries make
 * room for new ones. Records are kept as objects, so a hit costs no decoding.
 */
export function createMemoryStore(maxBytes: number): CacheStore {
  const cache = new LRUCache<string, CacheRecord>({
    maxSize: maxBytes,
    sizeCalculation: heapBytes,
    // Entries expire on the clock their records are stamped with (Date: image-cache.ts judges freshness by it),
    // read at every lookup, not lru-cache's monotonic clock cached for a millisecond: the two never disagree.
    perf: { now: () => Date.now() },
    ttlResolution: 0,
  });
  return {
    ready: async () => undefined,
    getMany: async (keys) => keys.map((key) => cache.get(key)),
    set: async (key, record, ttlMs) => {
      cache.set(key, record, { ttl: ttlMs });
    },
    close: async () => cache.clear(),
  };
}

// What V8 (64-bit, no pointer compression, as Node ships) spends, fitted to heap measurements over records
// of 0 to 40 pairs (test/cache-memory.test.ts checks the sum):
/** A string: its header, then one byte per character (two for text outside Latin-1), rounded up to 8. */
const STRING_HEADER_BYTES = 16;
/** One cache entry apart from its key string and its metadata: the record, and lru-cache's slots for it. */
const ENTRY_BYTES = 195;
/** Metadata apart from its pairs: the object, its entries array and its lookup Map. */
const METADATA_BYTES = 250;
/** One metadata pair apart from its strings: its {key, value} object, its array slot and its Map entry. */
const PAIR_BYTES = 68;

/** The heap one cache entry takes, key included. */
export function heapBytes(record: CacheRecord, key: string): number {
  let bytes = ENTRY_BYTES + stringBytes(key);
  if (record.kind === 'answer' && record.metadata) {
    bytes += METADATA_BYTES;
    for (const { key: name, value } of record.metadata.entries) bytes += PAIR_BYTES + stringBytes(name) + stringBytes(value);
  }
  return bytes;
}

function stringBytes(text: string): number {
  const perChar = /[^\u0000-\u00ff]/.test(text) ? 2 : 1;
  return STRING_HEADER_BYTES + Math.ceil((text.length * perChar) / 8) * 8;
}
