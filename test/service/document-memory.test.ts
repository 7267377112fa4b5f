import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';

// Every distinct document a caller sends is parsed, validated and counted for compilation, and the parsed form is
// kept for the next time: by Yoga's parser cache, and by compiled execution's counts. Both keep it bounded by its
// heap (src/graphql/parse-caches.ts): here a caller sends 300 distinct documents of ~2,000 tokens each (comments,
// which GraphQL Armor's MAX_TOKENS does not count but the parsed document keeps), each ~180 KB of heap once parsed:
// 54 MB kept by count alone (Yoga keeps 1,024 documents, compiled execution 200), measured without the bounds.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let n = 0; n < 3; n += 1) gc();
  return process.memoryUsage().heapUsed;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const DOCUMENTS = 300;
const largest = (n: number) => `query Large${n} { __typename ${'#\n'.repeat(1_990)}}`;

describe('distinct documents at the size limit', () => {
  it(`${DOCUMENTS} of them, each run once, keep under 32 MB of heap (each cache holds 16 MB by its estimate)`, { timeout: 60_000 }, async () => {
    const answers = new Map<number, number>();
    const before = heapUsed();
    for (let n = 0; n < DOCUMENTS; n += 1) {
      const response = await stack.app.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: largest(n) }) });
      const body = (await response.json()) as { data?: { __typename?: string } };
      if (body.data?.__typename === 'Query') answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
    }
    const grew = heapUsed() - before;
    console.log(`heap grew ${(grew / 2 ** 20).toFixed(1)} MB for ${DOCUMENTS} documents`);
    expect(Object.fromEntries(answers)).toEqual({ 200: DOCUMENTS });
    expect(grew).toBeLessThan(32 * 2 ** 20);
  });
});
