import { describe, expect, it } from 'vitest';
import { createImageLoader } from '../../../src/images/image-loader.js';
import { ImageMetadata } from '../../../src/images/image-metadata.js';
import type { ImageRef } from '../../../src/images/image-ref.js';

/** A fetch whose calls stay pending until the test settles them, so concurrency is observed, not timed. */
function controlledFetch() {
  const pending: Array<{ ref: ImageRef; settle: (outcome: ImageMetadata | null | Error) => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchImage = (ref: ImageRef) =>
    new Promise<ImageMetadata | null>((resolve, reject) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push({
        ref,
        settle: (outcome) => {
          inFlight -= 1;
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      });
    });
  return { fetchImage, pending, maxInFlight: () => maxInFlight };
}

const ref = (n: number): ImageRef => ({ projectId: 'p', imageId: `image-${n}` });
const settleNext = async (control: ReturnType<typeof controlledFetch>, outcome: ImageMetadata | null | Error) => {
  control.pending.shift()?.settle(outcome);
  // Let the limiter start the next call.
  await new Promise((resolve) => setImmediate(resolve));
};

describe('createImageLoader', () => {
  it('never has more than maxConcurrency calls in flight, and uses all of them', async () => {
    const control = controlledFetch();
    const loader = createImageLoader(control.fetchImage, 3);
    const results = loader.loadMany([1, 2, 3, 4, 5, 6, 7].map(ref));
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.pending.map((call) => call.ref.imageId)).toEqual(['image-1', 'image-2', 'image-3']);
    const metadata = new ImageMetadata([{ key: 'k', value: 'v' }]);
    for (let i = 0; i < 7; i += 1) await settleNext(control, i === 2 ? new Error('boom') : i === 4 ? null : metadata);
    expect(control.maxInFlight()).toBe(3);
    const settled = await results;
    expect(settled.map((result) => (result instanceof Error ? `error: ${result.message}` : result === null ? null : result.imageId))).toEqual([
      'image-1', 'image-2', 'error: boom', 'image-4', null, 'image-6', 'image-7',
    ]);
  });

  it('calls once per distinct key, whatever the spelling of the request', async () => {
    const control = controlledFetch();
    const loader = createImageLoader(control.fetchImage, 10);
    const results = Promise.all([loader.load(ref(1)), loader.load(ref(1)), loader.load(ref(2)), loader.load({ ...ref(1) })]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.pending.map((call) => call.ref.imageId)).toEqual(['image-1', 'image-2']);
    await settleNext(control, null);
    await settleNext(control, null);
    expect(await results).toEqual([null, null, null, null]);
  });
});
