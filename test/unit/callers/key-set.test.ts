import { errors as joseErrors, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySet, KeySetUnavailable, type KeySetTiming } from '../../../src/callers/key-set.js';
import { startJwks, type Jwks } from '../../helpers/jwks.js';
import { captureLogs, type CapturedLogs } from '../../helpers/logs.js';

// The key set against a real host on loopback that serves, fails or hangs on demand; the clock that decides
// ages and backoffs is the test's, so nothing here waits for real time but the bounded wait for a fetch. That wait
// (waitMs) is what a fetch that answers must beat: a second, which a loopback fetch does even on a loaded machine
// (at 100 ms it did not, with other test files generating keys at the same time).
const TIMING: KeySetTiming = { fetchTimeoutMs: 1500, waitMs: 1000, maxAgeMs: 60_000, unknownKeyCooldownMs: 30_000, backoffMs: 5000, maxBackoffMs: 40_000 };

let jwks: Jwks;
let now: number;
let keySet: KeySet;
let logs: CapturedLogs;
beforeEach(async () => {
  jwks = await startJwks();
  now = 1_000_000;
  logs = captureLogs();
  keySet = new KeySet(jwks.url, logs.logger, TIMING, () => now);
});
afterEach(() => jwks.close());

/** Verifies a fresh token of the published key: its subject, or the error. */
const verify = async (options?: Parameters<Jwks['sign']>[1]) =>
  jwtVerify(await jwks.sign({ sub: 'alice' }, options), keySet.getKey).then(
    ({ payload }) => payload.sub,
    (error: unknown) => error,
  );

/** Resolves once the fetch under way has ended: a hanging one at its timeout. */
const settled = () => keySet.settled();

describe('the key set of callers\' JWTs (JWT_JWKS_URL)', () => {
  it('is fetched once, and its keys verify every later token without a fetch', async () => {
    expect(await Promise.all([verify(), verify(), verify()])).toEqual(['alice', 'alice', 'alice']);
    expect(jwks.fetches).toBe(1);
    expect(await verify()).toBe('alice');
    expect(jwks.fetches).toBe(1);
  });

  it('keeps verifying with the keys it holds while a refresh hangs or fails, refreshing one fetch at a time in the background', async () => {
    expect(await verify()).toBe('alice');
    jwks.behave('hang');
    now += TIMING.maxAgeMs + 1;
    // Past its age the set is refreshed, but no request waits for it: 20 requests, 20 answers, one fetch.
    expect(await Promise.all(Array.from({ length: 20 }, () => verify()))).toEqual(Array(20).fill('alice'));
    await settled(); // the hung fetch, given up at its timeout
    expect(jwks.fetches).toBe(2);
    // It failed: the next waits out the backoff, and the old keys still verify.
    jwks.behave('fail');
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(2);
    now += TIMING.backoffMs;
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(3); // failed (500): the backoff doubles
    now += TIMING.backoffMs;
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(3);
    now += TIMING.backoffMs;
    jwks.behave('serve');
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(4);
    // The operator saw each failure, why, and when the next try comes; then the recovery.
    const heldSince = new Date(1_000_000).toISOString();
    expect(logs.lines.map(({ level, msg, cause, failedFetches, keysHeldSince, nextFetchInMs }) => ({ level, msg, cause, failedFetches, keysHeldSince, nextFetchInMs }))).toEqual([
      { level: 40, msg: 'the JWT key set could not be refreshed: tokens are checked with the keys held', cause: 'The operation was aborted due to timeout', failedFetches: 1, keysHeldSince: heldSince, nextFetchInMs: 5000 },
      { level: 40, msg: 'the JWT key set could not be refreshed: tokens are checked with the keys held', cause: 'the key set answered HTTP 500', failedFetches: 2, keysHeldSince: heldSince, nextFetchInMs: 10_000 },
      { level: 30, msg: 'the JWT key set is fetched again', cause: undefined, failedFetches: 2, keysHeldSince: undefined, nextFetchInMs: undefined },
    ]);
    expect(logs.lines.every((line) => line['jwksUrl'] === jwks.url.href)).toBe(true);
    // Refreshed: the next refresh is an age away.
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(4);
  });

  it('with no key known and the host down, fails each request within its bounded wait, and fetches once per backoff', async () => {
    jwks.behave('hang');
    const first = await verify();
    expect(first).toBeInstanceOf(KeySetUnavailable);
    expect(jwks.fetches).toBe(1);
    // While the fetch hangs, other requests share it: no new fetch.
    expect(await Promise.all(Array.from({ length: 10 }, () => verify()))).toEqual(Array(10).fill(expect.any(KeySetUnavailable)));
    expect(jwks.fetches).toBe(1);
    await settled(); // the hung fetch, given up at its timeout
    // Failed: during the backoff, requests fail at once, with how long until the next try.
    jwks.behave('fail');
    const during = await verify();
    expect(during).toEqual(expect.objectContaining({ name: 'KeySetUnavailable', retryAfterMs: TIMING.backoffMs }));
    expect(jwks.fetches).toBe(1);
    now += TIMING.backoffMs;
    expect(await verify()).toBeInstanceOf(KeySetUnavailable);
    expect(jwks.fetches).toBe(2);
    // 100 requests within the doubled backoff: no fetch at all.
    await Promise.all(Array.from({ length: 100 }, () => verify()));
    expect(jwks.fetches).toBe(2);
    now += 2 * TIMING.backoffMs;
    jwks.behave('serve');
    expect(await verify()).toBe('alice');
    expect(jwks.fetches).toBe(3);
  });

  it('asks again for a key it lacks at most once per cooldown, and refuses the token when the set cannot be had', async () => {
    expect(await verify()).toBe('alice');
    const unknownKey = await verify({ keyId: 'rotated-key' });
    expect(unknownKey).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(jwks.fetches).toBe(1); // within the cooldown after the last fetch: not asked again
    now += TIMING.unknownKeyCooldownMs;
    jwks.behave('fail');
    expect(await verify({ keyId: 'rotated-key' })).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(jwks.fetches).toBe(2);
    expect(await verify({ keyId: 'rotated-key' })).toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(jwks.fetches).toBe(2); // the backoff after that failure
    expect(await verify()).toBe('alice');
  });

  it('refreshes at its age even when that is shorter than the cooldown for unknown keys (JWT_JWKS_REFRESH_SECONDS=10)', async () => {
    keySet = new KeySet(jwks.url, logs.logger, { ...TIMING, maxAgeMs: 10_000 }, () => now);
    expect(await verify()).toBe('alice');
    now += 10_001;
    expect(await verify()).toBe('alice');
    await settled();
    expect(jwks.fetches).toBe(2);
  });
});
