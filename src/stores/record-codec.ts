import { ImageMetadata } from '../images/image-metadata.js';
import type { CacheRecord } from '../images/cache/store.js';

/**
 * Records as text, for a store outside the process (Redis). Metadata is a list of pairs, which keeps its
 * order (a JSON object would not, for integer-like keys).
 */
export function encodeRecord(record: CacheRecord): string {
  if (record.kind === 'refused') return JSON.stringify({ refused: record.failure, at: record.at, blockMs: record.blockMs });
  return JSON.stringify({ metadata: record.metadata?.entries.map(({ key, value }) => [key, value]) ?? null, storedAt: record.storedAt, ttlMs: record.ttlMs });
}

/** A stored value this version cannot read (another format, corruption) is a miss. */
export function decodeRecord(stored: string): CacheRecord | undefined {
  let json: { metadata?: unknown; storedAt?: unknown; ttlMs?: unknown; refused?: unknown; at?: unknown; blockMs?: unknown };
  try {
    json = JSON.parse(stored) as typeof json;
  } catch {
    return undefined;
  }
  if (json.refused === 'unauthenticated' || json.refused === 'forbidden') {
    return typeof json.at === 'number' && typeof json.blockMs === 'number' ? { kind: 'refused', failure: json.refused, at: json.at, blockMs: json.blockMs } : undefined;
  }
  const { metadata, storedAt, ttlMs } = json;
  if (typeof storedAt !== 'number' || typeof ttlMs !== 'number') return undefined;
  if (metadata === null) return { kind: 'answer', metadata: null, storedAt, ttlMs };
  if (!Array.isArray(metadata) || !metadata.every(isPair)) return undefined;
  return { kind: 'answer', metadata: new ImageMetadata(metadata.map(([key, value]) => ({ key, value }))), storedAt, ttlMs };
}

function isPair(pair: unknown): pair is [string, string] {
  return Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string';
}
