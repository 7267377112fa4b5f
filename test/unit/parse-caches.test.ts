import { parse, type DocumentNode } from 'graphql';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { boundedParseCaches, parsedDocumentBytes, PARSE_CACHE_MAX_BYTES, PARSE_CACHE_MAX_ENTRIES } from '../../src/graphql/parse-caches.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let n = 0; n < 3; n += 1) gc();
  return process.memoryUsage().heapUsed;
}

const { projectId, imageId } = DOCUMENTED_IMAGE;
const FIELDS = 'id osType osBit platform osVersion imageType virtualEnvType metadata { key value }';
/** 40 aliases of 10 fields: the kind of document that costs most heap per character. */
const dense = (n: number) => `query Dense${n} { ${Array.from({ length: 40 }, (_, i) => `a${i}: image(projectId: "${projectId}", id: "${imageId}") { ${FIELDS} }`).join(' ')} }`;
/** One field under a 90 KB operation name: the kind that costs most characters. */
const longName = (n: number) => `query N${n}_${'x'.repeat(90_000)} { image(projectId: "${projectId}", id: "${imageId}") { id } }`;
/** A document as a frontend sends it. */
const small = (n: number) => `query Small${n} { image(projectId: "${projectId}", id: "${imageId}") { ${FIELDS} } }`;

describe("Yoga's parser caches hold a bounded heap", () => {
  it.each([
    { kind: 'dense', text: dense },
    { kind: 'long-named', text: longName },
    { kind: 'small', text: small },
  ])('the estimate of a $kind document is within 25% of the heap it takes with its key', ({ kind, text }) => {
    const kept: Array<[string, DocumentNode]> = [];
    const before = heapUsed();
    let estimated = 0;
    for (let n = 0; n < 100; n += 1) {
      // Built here, inside the measurement (the key's text is part of what an entry costs), and flat, as a request
      // body's JSON.parse makes it: a document's names are then slices of it, not copies.
      const source = JSON.parse(JSON.stringify(text(n))) as string;
      const document = parse(source);
      estimated += parsedDocumentBytes(document, source);
      kept.push([source, document]);
    }
    const real = heapUsed() - before;
    console.log(`${kind}: ${Math.round(real / kept.length)} B measured, ${Math.round(estimated / kept.length)} B estimated per document`);
    expect(estimated / real).toBeGreaterThan(0.75);
    expect(estimated / real).toBeLessThan(1.25);
  });

  it('300 long-named documents (16 MB by the estimate): the cache keeps what fits in its bytes, the newest, and no more', () => {
    const { documentCache } = boundedParseCaches();
    for (let n = 0; n < 300; n += 1) documentCache.set(longName(n), parse(longName(n)));
    const perDocument = parsedDocumentBytes(parse(longName(0)), longName(0));
    expect(documentCache.calculatedSize).toBeLessThanOrEqual(PARSE_CACHE_MAX_BYTES);
    expect(documentCache.size).toBe(Math.floor(PARSE_CACHE_MAX_BYTES / perDocument));
    expect(documentCache.get(longName(299))).toBeDefined();
    expect(documentCache.get(longName(0))).toBeUndefined();
  });

  it('small documents: as many as Yoga keeps by default, 1,024', () => {
    const { documentCache } = boundedParseCaches();
    for (let n = 0; n < 1100; n += 1) documentCache.set(small(n), parse(small(n)));
    expect(documentCache.size).toBe(1024);
    expect(PARSE_CACHE_MAX_ENTRIES).toBe(1024);
  });

  it('a document over the largest entry is parsed each time, not kept', () => {
    const { documentCache } = boundedParseCaches();
    const huge = `{ ${Array.from({ length: 400 }, (_, i) => `a${i}: image(projectId: "${projectId}", id: "${imageId}") { ${FIELDS} }`).join(' ')} }`;
    documentCache.set(huge, parse(huge));
    expect(documentCache.size).toBe(0);
    expect(documentCache.get(huge)).toBeUndefined();
  });

  it('texts that do not parse: kept by their length, within the same bytes', () => {
    const { errorCache } = boundedParseCaches();
    for (let n = 0; n < 300; n += 1) errorCache.set(`{ ${'y'.repeat(90_000)}${n}`, new Error('Syntax Error'));
    expect(errorCache.calculatedSize).toBeLessThanOrEqual(PARSE_CACHE_MAX_BYTES);
    expect(errorCache.size).toBe(Math.floor(PARSE_CACHE_MAX_BYTES / (90_002 + 4 + 1024)));
  });
});
