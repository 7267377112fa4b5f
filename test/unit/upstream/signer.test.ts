import { describe, expect, it } from 'vitest';
import { parseAuthorization, parseSdkDate, sdkDate, sign, verify } from '../../../src/upstream/signer.js';

const KEY = { accessKey: 'QTWAOYTTINDUT2QVKYUC', secretKey: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc' };
// Huawei's worked example (docs/legacy-api.md §4).
const EXAMPLE = {
  method: 'GET',
  path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
  query: { limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0' },
  headers: { 'Content-Type': 'application/json', Host: 'service.region.example.com' },
};
const EXAMPLE_DATE = new Date(Date.UTC(2019, 10, 15, 3, 36, 55));

describe("SDK-HMAC-SHA256, on Huawei's worked example", () => {
  it('gives exactly the documented canonical request hash, signed headers and signature', () => {
    const signed = sign(EXAMPLE, KEY, EXAMPLE_DATE);
    expect(signed.canonicalRequestHash).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    expect(signed.signature).toBe('7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
    expect(signed.headers).toEqual({
      'X-Sdk-Date': '20191115T033655Z',
      Authorization:
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    });
  });

  it('verifies its own signature, and nothing else', () => {
    const signed = sign(EXAMPLE, KEY, EXAMPLE_DATE);
    const received = { ...EXAMPLE, headers: { ...EXAMPLE.headers, 'X-Sdk-Date': signed.headers['X-Sdk-Date'] } };
    const authorization = parseAuthorization(signed.headers.Authorization)!;
    expect(authorization).toEqual({ accessKey: KEY.accessKey, signedHeaders: ['content-type', 'host', 'x-sdk-date'], signature: signed.signature });
    expect(verify(received, authorization, KEY)).toBe(true);
    expect(verify(received, authorization, { ...KEY, secretKey: `${KEY.secretKey}x` })).toBe(false);
    expect(verify({ ...received, path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/subnets' }, authorization, KEY)).toBe(false);
    expect(verify({ ...received, query: { ...EXAMPLE.query, limit: '3' } }, authorization, KEY)).toBe(false);
    expect(verify({ ...received, headers: { ...received.headers, Host: 'evil.example.com' } }, authorization, KEY)).toBe(false);
    expect(verify(received, { ...authorization, signedHeaders: ['content-type', 'x-sdk-date'] }, KEY)).toBe(false);
  });

  it('refuses a valid signature that does not cover Host: it could be replayed to another host', () => {
    const hostless = sign({ ...EXAMPLE, headers: { 'Content-Type': 'application/json' } }, KEY, EXAMPLE_DATE);
    const received = { ...EXAMPLE, headers: { ...EXAMPLE.headers, 'X-Sdk-Date': hostless.headers['X-Sdk-Date'] } };
    const authorization = parseAuthorization(hostless.headers.Authorization)!;
    expect(authorization.signedHeaders).toEqual(['content-type', 'x-sdk-date']);
    expect(verify(received, authorization, KEY)).toBe(false);
  });

  it('reads and writes X-Sdk-Date', () => {
    expect(sdkDate(EXAMPLE_DATE)).toBe('20191115T033655Z');
    expect(parseSdkDate('20191115T033655Z')).toEqual(EXAMPLE_DATE);
    expect(parseSdkDate('2019-11-15T03:36:55Z')).toBeUndefined();
  });

  it('refuses malformed Authorization headers', () => {
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(parseAuthorization('Bearer abc')).toBeUndefined();
    expect(parseAuthorization('SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date')).toBeUndefined();
  });
});
