import type { IncomingMessage } from 'node:http';
import { canonicalRequest, parseAuthorization, parseSdkDate, verify, type AccessKey } from '../upstream/signer.js';

/** Huawei's API gateway refuses a request whose X-Sdk-Date is further than this from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Why the gateway refuses a request: its code and message (the body of its 401). */
export interface SignatureProblem {
  readonly code: 'APIGW.0301' | 'APIGW.0303';
  readonly message: string;
}

/**
 * Checks an AK/SK-signed request as Huawei's API gateway does: a known access key, a valid
 * SDK-HMAC-SHA256 signature over the signed headers, and an X-Sdk-Date within 15 minutes.
 * @returns undefined when the request passes, else the gateway's code and message for the 401. A signature that
 * does not verify is answered as the real gateway does, APIGW.0303 with the canonical request it computed
 * echoed in the message: the signed headers' values included, a security token among them.
 */
export function signatureProblem(request: IncomingMessage, accessKeys: readonly AccessKey[], now = Date.now()): SignatureProblem | undefined {
  const refused = (message: string): SignatureProblem => ({ code: 'APIGW.0301', message: `Incorrect IAM authentication information: ${message}` });
  const authorization = parseAuthorization(first(request.headers['authorization']));
  if (!authorization) return refused('Authorization header is missing or malformed');
  const key = accessKeys.find((candidate) => candidate.accessKey === authorization.accessKey);
  if (!key) return refused('the access key does not exist');
  const date = parseSdkDate(first(request.headers['x-sdk-date']));
  if (!date || Math.abs(now - date.getTime()) > MAX_CLOCK_SKEW_MS) return refused('X-Sdk-Date is missing or more than 15 minutes off');
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
  const signed = { method: request.method ?? 'GET', path: decodeURIComponent(url.pathname), query, headers };
  if (verify(signed, authorization, key)) return undefined;
  const signedHeaders = authorization.signedHeaders.join(';');
  return {
    code: 'APIGW.0303',
    message: `Incorrect app authentication information: verify aksk signature fail, SignedHeaders:${signedHeaders}, CanonicalRequest:${canonicalRequest(signed, authorization.signedHeaders)}`,
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
