import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/images/upstream-error.js';
import { retryDelay, withRetries } from '../../../src/upstream/retry.js';

const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const transient = (retryAfterMs?: number) => new UpstreamError('unavailable', 'down', { retryable: true, retryAfterMs });

describe('retryDelay', () => {
  it('draws from zero up to an exponentially growing bound, capped (full jitter)', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelay(transient(), attempt, policy, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((attempt) => retryDelay(transient(), attempt, policy, () => 0))).toEqual([0, 0, 0]);
    expect(retryDelay(transient(), 3, policy, () => 0.5)).toBe(200);
  });

  it('honours what the upstream asked for, exactly, up to the cap; beyond it, no retry', () => {
    expect(retryDelay(transient(750), 1, policy, () => 0)).toBe(750);
    expect(retryDelay(transient(1000), 1, policy)).toBe(1000);
    expect(retryDelay(transient(1001), 1, policy)).toBeUndefined();
  });
});

describe('withRetries', () => {
  const context = () => ({ signal: new AbortController().signal, deadlineAt: Date.now() + 60_000 });

  it('retries a transient failure and returns the first success', async () => {
    const outcomes = [transient(0), transient(0), 'ok'];
    let calls = 0;
    const result = await withRetries(async () => {
      const outcome = outcomes[calls++];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    }, policy, context());
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the configured retries with the last failure', async () => {
    let calls = 0;
    const last = transient(0);
    await expect(
      withRetries(async () => {
        calls += 1;
        throw calls === 4 ? last : transient(0);
      }, policy, context()),
    ).rejects.toBe(last);
    expect(calls).toBe(4);
  });

  it('never retries a failure that is not transient', async () => {
    let calls = 0;
    const forbidden = new UpstreamError('forbidden', 'no');
    await expect(withRetries(async () => { calls += 1; throw forbidden; }, policy, context())).rejects.toBe(forbidden);
    expect(calls).toBe(1);
  });

  it('does not start a retry that would end past the deadline', async () => {
    let calls = 0;
    const retryRecords: number[] = [];
    const throttled = transient(900);
    await expect(
      withRetries(async () => { calls += 1; throw throttled; }, policy, {
        signal: new AbortController().signal,
        deadlineAt: Date.now() + 500,
        onRetry: (_error, _attempt, delay) => retryRecords.push(delay),
      }),
    ).rejects.toBe(throttled);
    expect(calls).toBe(1);
    expect(retryRecords).toEqual([]);
  });
});
