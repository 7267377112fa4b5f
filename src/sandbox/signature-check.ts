import type { IncomingMessage } from 'node:http';
import { parseAuthorization, parseSdkDate, verify, type AccessKey } from '../upstream/signer.js';

/** Huawei's API gateway refuses a request whose X-Sdk-Date is further than this from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Checks an AK/SK-signed request as Huawei's API gateway does: a known access key, a valid
 * SDK-HMAC-SHA256 signature over the signed headers, and an X-Sdk-Date within 15 minutes.
 * @returns undefined when the request passes, else the gateway's error message for the 401.
 */
export function signatureProblem(request: IncomingMessage, accessKeys: readonly AccessKey[], now = Date.now()): string | undefined {
  const authorization = parseAuthorization(first(request.headers['authorization']));
  if (!authorization) return 'Incorrect IAM authentication information: Authorization header is missing or malformed';
  const key = accessKeys.find((candidate) => candidate.accessKey === authorization.accessKey);
  if (!key) return 'Incorrect IAM authentication information: the access key does not exist';
  const date = parseSdkDate(first(request.headers['x-sdk-date']));
  if (!date || Math.abs(now - date.getTime()) > MAX_CLOCK_SKEW_MS) {
    return 'Incorrect IAM authentication information: X-Sdk-Date is missing or more than 15 minutes off';
  }
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
  const valid = verify({ method: request.method ?? 'GET', path: decodeURIComponent(url.pathname), query, headers }, authorization, key);
  return valid ? undefined : 'Incorrect IAM authentication information: verify aksk signature fail';
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
