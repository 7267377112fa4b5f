import { describe, expect, it } from 'vitest';
import { errorFromStatus, parseErrorBody, parseRetryAfter } from '../../../src/upstream/error-body.js';

describe('parseErrorBody reads all three families, trusting none', () => {
  it.each([
    [
      'Nova, with a numeric code',
      '{"itemNotFound": {"code": 404, "message": "Image not found."}}',
      { code: 'itemNotFound', message: 'Image not found.', requestId: null, fault: 'itemNotFound', retryAfterMs: undefined },
    ],
    [
      "Nova overLimit with retryAfter",
      '{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": "2"}}',
      { code: 'overLimit', message: 'This request was rate-limited.', requestId: null, fault: 'overLimit', retryAfterMs: 2000 },
    ],
    [
      'Huawei native',
      '{"error": {"code": "Ecs.0031", "message": "The image does not exist.", "details": []}}',
      { code: 'Ecs.0031', message: 'The image does not exist.', requestId: null, fault: null, retryAfterMs: undefined },
    ],
    [
      'the API gateway',
      '{"error_code": "APIG.0308", "error_msg": "The throttling threshold has been reached", "request_id": "abc123"}',
      { code: 'APIG.0308', message: 'The throttling threshold has been reached', requestId: 'abc123', fault: null, retryAfterMs: undefined },
    ],
  ])('%s', (_name, body, expected) => {
    expect(parseErrorBody(body)).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['cut off', '{"error": {"code": "Ecs.00'],
    ['a list', '[1, 2]'],
    ['unknown members', '{"a": 1, "b": 2}'],
    ['a null', 'null'],
  ])('yields nulls for a body that is %s', (_name, body) => {
    expect(parseErrorBody(body)).toEqual({ code: null, message: null, requestId: null, fault: null, retryAfterMs: undefined });
  });

  it('cuts a huge message short', () => {
    const parsed = parseErrorBody(JSON.stringify({ error: { code: 'Ecs.0001', message: 'word '.repeat(2000) } }));
    expect(parsed.message).toBe(`${'word '.repeat(40)}…`);
  });

  it('passes on no echo of the request: an APIGW.0303 body with the canonical request and a security token', () => {
    const token = 'gQpjbi1ub3J0aC00jGn4cSYM7xkTZGCR5yWcWRsLrZhHuBaRmYnNpbmVzc1F0ZW1wb3JhcnktY3JlZGVudGlhbHM';
    const body = JSON.stringify({
      error_code: 'APIGW.0303',
      error_msg: `Incorrect app authentication information: verify aksk signature fail, SignedHeaders:host;x-project-id;x-sdk-date;x-security-token, CanonicalRequest:GET\n/v2.1/p/images/i/metadata/\n\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-security-token:${token}\nx-sdk-date:20261205T010203Z\n`,
      request_id: 'a1b2c3',
    });
    expect(parseErrorBody(body)).toMatchObject({ code: 'APIGW.0303', message: 'Incorrect app authentication information: verify aksk signature fail…', requestId: 'a1b2c3' });
    // Without the markers, a token-like run is still replaced, and nothing past the first line passes.
    expect(parseErrorBody(JSON.stringify({ error: { code: 'Ecs.0001', message: `token ${token} refused\nsecond line` } })).message).toBe('token [redacted] refused');
    // Ids are not credentials: a UUID and a project id pass.
    expect(parseErrorBody(JSON.stringify({ error: { code: 'Ecs.0031', message: 'Image 17a1890b-0fa4-485e-8505-14e294017988 of 9c53a566cb3443ab910cf0daebca90c4 not found' } })).message).toBe(
      'Image 17a1890b-0fa4-485e-8505-14e294017988 of 9c53a566cb3443ab910cf0daebca90c4 not found',
    );
    // A code or request id that does not look like one is dropped.
    expect(parseErrorBody(JSON.stringify({ error_code: `APIGW.0303 ${token}`, error_msg: 'x', request_id: 'id with spaces' }))).toMatchObject({ code: null, requestId: null });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it.each([
    ['1', 1000],
    ['0', 0],
    [' 2.5 ', 2500],
    ['Thu, 26 Nov 2026 12:00:03 GMT', 3000],
    ['Thu, 26 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [undefined, undefined],
  ])('%j is %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('errorFromStatus', () => {
  const classify = (status: number, body = '', headers: Record<string, string> = {}) => {
    const error = errorFromStatus(status, headers, body);
    return { failure: error.failure, retryable: error.retryable, retryAfterMs: error.retryAfterMs };
  };

  it('maps each status to its failure, and only the transient ones are retried', () => {
    expect(classify(401)).toEqual({ failure: 'unauthenticated', retryable: false, retryAfterMs: undefined });
    expect(classify(403)).toEqual({ failure: 'forbidden', retryable: false, retryAfterMs: undefined });
    expect(classify(429, '', { 'retry-after': '3' })).toEqual({ failure: 'rate_limited', retryable: true, retryAfterMs: 3000 });
    expect(classify(413, '{"overLimit": {"code": 413, "retryAfter": 4}}')).toEqual({ failure: 'rate_limited', retryable: true, retryAfterMs: 4000 });
    expect(classify(413, '{"badRequest": {"code": 413}}')).toEqual({ failure: 'unexpected', retryable: false, retryAfterMs: undefined });
    expect(classify(408)).toEqual({ failure: 'timeout', retryable: true, retryAfterMs: undefined });
    expect(classify(500)).toEqual({ failure: 'unavailable', retryable: true, retryAfterMs: undefined });
    expect(classify(501)).toEqual({ failure: 'unavailable', retryable: false, retryAfterMs: undefined });
    expect(classify(502)).toEqual({ failure: 'unavailable', retryable: true, retryAfterMs: undefined });
    expect(classify(503, '', { 'retry-after': '1' })).toEqual({ failure: 'unavailable', retryable: true, retryAfterMs: 1000 });
    expect(classify(504)).toEqual({ failure: 'unavailable', retryable: true, retryAfterMs: undefined });
    expect(classify(400)).toEqual({ failure: 'unexpected', retryable: false, retryAfterMs: undefined });
    expect(classify(409)).toEqual({ failure: 'unexpected', retryable: false, retryAfterMs: undefined });
    expect(classify(302)).toEqual({ failure: 'unexpected', retryable: false, retryAfterMs: undefined });
  });

  it('prefers the X-Request-Id header for the request id, else the gateway body', () => {
    const body = '{"error_code": "APIGW.0301", "error_msg": "bad token", "request_id": "from-body"}';
    expect(errorFromStatus(401, { 'x-request-id': 'from-header' }, body).upstream).toEqual({
      status: 401,
      code: 'APIGW.0301',
      message: 'bad token',
      requestId: 'from-header',
    });
    expect(errorFromStatus(401, {}, body).upstream?.requestId).toBe('from-body');
  });
});
