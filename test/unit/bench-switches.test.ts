import { describe, expect, it } from 'vitest';
import { FEATURES, featuresOff, NONE_OFF } from '../../src/config/bench-switches.js';

describe("the benchmark's feature switches", () => {
  it('reads a list of names, `all`, or nothing', () => {
    expect(featuresOff(undefined)).toBe(NONE_OFF);
    expect(featuresOff('')).toBe(NONE_OFF);
    expect([...featuresOff('metrics,coalescer')]).toEqual(['metrics', 'coalescer']);
    expect([...featuresOff('all')]).toEqual(Object.keys(FEATURES));
  });

  it('refuses a name it does not know, naming those it does', () => {
    expect(() => featuresOff('metrics,cache')).toThrow(`unknown features: cache (known: ${Object.keys(FEATURES).join(', ')}, or all)`);
  });
});
