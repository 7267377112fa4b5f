import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, heapBytes } from '../../src/stores/memory-store.js';
import type { CacheRecord } from '../../src/images/cache/store.js';
import { parseMetadataBody } from '../../src/ecs/metadata-body.js';
import { metadataBody } from '../../src/sandbox/server.js';
import { SAMPLE_IMAGES } from '../../src/sandbox/samples.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use once everything unreachable is collected. */
function heapUsed(): number {
  for (let n = 0; n < 3; n += 1) gc();
  return process.memoryUsage().heapUsed;
}

describe('the in-memory cache counts what its entries really cost (CACHE_MAX_BYTES)', () => {
  it('within 25% of the heap measured over many entries', async () => {
    const store = createMemoryStore(2 ** 40);
    const entries = 20_000;
    let counted = 0;
    const before = heapUsed();
    for (let n = 0; n < entries; n += 1) {
      // Each entry as the service makes it: parsed from its own upstream body, so no string is shared.
      const sample = SAMPLE_IMAGES[n % SAMPLE_IMAGES.length]!;
      const metadata = parseMetadataBody(metadataBody(sample.metadata.map(([key, value]) => [key, `${value}-${n}`] as const)));
      const record: CacheRecord = { kind: 'answer', metadata, storedAt: Date.now(), ttlMs: 60_000 };
      const key = `ecs-image-graph:v2:token:${n.toString(36).padStart(43, 'x')}:${sample.projectId}:${sample.imageId}`;
      counted += heapBytes(record, key);
      await store.set(key, record, 600_000);
    }
    const real = heapUsed() - before;
    console.log(`per entry: ${Math.round(real / entries)} B measured, ${Math.round(counted / entries)} B counted`);
    expect(counted / real).toBeGreaterThan(0.75);
    expect(counted / real).toBeLessThan(1.25);
    await store.close();
  });
});
