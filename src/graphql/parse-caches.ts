import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * Yoga's parser caches, bounded by the heap they hold as well as by count. Yoga keeps the parsed document of
 * each distinct request text (and the error of each text that did not parse), 1,024 of each by default, keyed by
 * the text: a caller sending 1,100 documents of 90 KB each (a long operation name is enough) grew the heap by
 * 191 MB, and 220 documents of 40 aliases each by 78 MB: most of a 256 MiB container. A parsed document keeps
 * every token of its text, and takes about {@link BYTES_PER_TOKEN} bytes per token plus its text (the key, of which
 * its names are slices), measured on Node 24 (test/unit/parse-caches.test.ts holds the estimate to
 * the heap measured). So each cache holds at most {@link PARSE_CACHE_MAX_BYTES} by that estimate, and a document above
 * {@link PARSE_CACHE_MAX_ENTRY_BYTES} is parsed again each time instead of kept. The validation cache needs no
 * bound: Yoga keys it by the parsed document, in a WeakMap, so it goes with it.
 */
export function boundedParseCaches(limits: ParseCacheLimits = PARSE_CACHE_LIMITS) {
  const options = { max: limits.maxEntries, maxSize: limits.maxBytes, maxEntrySize: limits.maxEntryBytes };
  return {
    documentCache: new LRUCache<string, DocumentNode>({ ...options, sizeCalculation: parsedDocumentBytes }),
    // A parse error holds its message and the text (as its source): the key's length, and a little.
    errorCache: new LRUCache<string, NonNullable<unknown>>({ ...options, sizeCalculation: (_error, text) => text.length + 1024 }),
  };
}

/** The heap a parsed document and its key take, estimated from its tokens and its text's length. */
export function parsedDocumentBytes(document: DocumentNode, text: string): number {
  let tokens = 0;
  for (let token = document.loc?.startToken; token; token = token.next ?? undefined) tokens++;
  return BYTES_PER_TOKEN * tokens + text.length;
}

/** Heap per token of a parsed document (its Token, and its share of the AST nodes and locations): 350 measured. */
const BYTES_PER_TOKEN = 360;

export interface ParseCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
}

/** Documents kept, as Yoga's default. */
export const PARSE_CACHE_MAX_ENTRIES = 1024;
/** Heap kept by each cache: 1,024 documents of ~40 fields (10 KB each), or 45 of 40 aliases of 10 fields. */
export const PARSE_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** The largest document kept (~2,900 tokens); a larger one is parsed every time it comes. */
export const PARSE_CACHE_MAX_ENTRY_BYTES = 1024 * 1024;

export const PARSE_CACHE_LIMITS: ParseCacheLimits = { maxEntries: PARSE_CACHE_MAX_ENTRIES, maxBytes: PARSE_CACHE_MAX_BYTES, maxEntryBytes: PARSE_CACHE_MAX_ENTRY_BYTES };
