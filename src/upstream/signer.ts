import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessKey } from '../images/caller.js';

/**
 * Huawei Cloud's `SDK-HMAC-SHA256` request signing (AK/SK), as the official SDKs do it (docs/legacy-api.md §4):
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
 *   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
 *   Signature        = hex(HMAC-SHA256(SK, StringToSign))
 *
 * Used by the client to sign, and by the sandbox to verify.
 */
export const ALGORITHM = 'SDK-HMAC-SHA256';

export type { AccessKey };

export interface SignableRequest {
  readonly method: string;
  /** The path as sent, before percent-encoding, e.g. `/v2.1/{project}/images/{image}/metadata`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  /** Every header to sign, `host` and `x-sdk-date` included; names in any case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface Signature {
  /** The headers to add to the request: `X-Sdk-Date` and `Authorization`. */
  readonly headers: { readonly 'X-Sdk-Date': string; readonly Authorization: string };
  /** hex(sha256(CanonicalRequest)), for tests against Huawei's worked example. */
  readonly canonicalRequestHash: string;
  readonly signature: string;
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the X-Sdk-Date format. */
export function sdkDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Signs `request` (whose headers must not yet hold `x-sdk-date`) at `date`. */
export function sign(request: SignableRequest, key: AccessKey, date: Date): Signature {
  const xSdkDate = sdkDate(date);
  const headers = { ...request.headers, 'x-sdk-date': xSdkDate };
  const signedHeaders = signedHeaderNames(headers);
  const canonicalRequestHash = sha256(canonicalRequest({ ...request, headers }, signedHeaders));
  const signature = hmac(key.secretKey, stringToSign(xSdkDate, canonicalRequestHash));
  return {
    headers: {
      'X-Sdk-Date': xSdkDate,
      Authorization: `${ALGORITHM} Access=${key.accessKey}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
    },
    canonicalRequestHash,
    signature,
  };
}

/** The parts of an `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header. */
export interface ParsedAuthorization {
  readonly accessKey: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const match = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, accessKey = '', signedHeaders = '', signature = ''] = match;
  return { accessKey, signedHeaders: signedHeaders.split(';'), signature };
}

/**
 * Whether `authorization` is a valid signature of `request` under `key`: recomputed over exactly the
 * headers it says it signed (which must include `host` and `x-sdk-date`), compared in constant time.
 */
export function verify(request: SignableRequest, authorization: ParsedAuthorization, key: AccessKey): boolean {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const xSdkDate = headers['x-sdk-date'];
  if (xSdkDate === undefined || !authorization.signedHeaders.includes('host') || !authorization.signedHeaders.includes('x-sdk-date')) return false;
  if (authorization.signedHeaders.some((name) => headers[name] === undefined)) return false;
  const expected = hmac(key.secretKey, stringToSign(xSdkDate, sha256(canonicalRequest({ ...request, headers }, [...authorization.signedHeaders].sort()))));
  return expected.length === authorization.signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(authorization.signature));
}

/** Reads an X-Sdk-Date back into a time; undefined when it is not one. */
export function parseSdkDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

export function canonicalRequest(request: SignableRequest, signedHeaders: readonly string[]): string {
  const lowerCased = new Map(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  return [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query ?? {}),
    signedHeaders.map((name) => `${name}:${lowerCased.get(name) ?? ''}\n`).join(''),
    signedHeaders.join(';'),
    sha256(request.body ?? ''),
  ].join('\n');
}

function signedHeaderNames(headers: Record<string, string>): string[] {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
}

/** Each path segment percent-encoded; the result must end with '/'. */
function canonicalUri(path: string): string {
  const encoded = path.split('/').map(encodeRfc3986).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** key=value pairs percent-encoded and sorted by key (repeated keys by value), joined by '&'. */
function canonicalQuery(query: Readonly<Record<string, string | readonly string[]>>): string {
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key] ?? '';
      const values = typeof value === 'string' ? [value] : [...value].sort();
      return values.map((item) => `${encodeRfc3986(key)}=${encodeRfc3986(item)}`);
    })
    .join('&');
}

/** Percent-encodes everything but RFC 3986's unreserved characters (encodeURIComponent also keeps !'()*). */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function stringToSign(xSdkDate: string, canonicalRequestHash: string): string {
  return `${ALGORITHM}\n${xSdkDate}\n${canonicalRequestHash}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
