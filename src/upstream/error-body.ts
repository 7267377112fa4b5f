import { API_NAMES } from '../images/backend.js';
import { capitalised, UpstreamError, type UpstreamDetails, type UpstreamFailure } from '../images/upstream-error.js';
import { safeCode, safeMessage, safeRequestId } from './upstream-message.js';

/**
 * Huawei's answers that are not a success, classified: the status, `Retry-After`, and any of the three
 * error-body families (docs/legacy-api.md §3; IMS answers the Huawei family with `IMG.` codes).
 */

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Classifies a non-2xx, non-404 answer. */
export function errorFromStatus(status: number, headers: Record<string, string | string[] | undefined>, body: string, now = Date.now(), api = API_NAMES.ecs): UpstreamError {
  const Api = capitalised(api);
  const parsed = parseErrorBody(body);
  const upstream: UpstreamDetails = {
    status,
    code: parsed.code,
    message: parsed.message,
    requestId: requestIdOf(firstHeader(headers['x-request-id'])) ?? parsed.requestId,
  };
  const retryAfterMs = parseRetryAfter(firstHeader(headers['retry-after']), now) ?? parsed.retryAfterMs;
  const retryable = RETRYABLE_STATUSES.has(status);
  const failure = (kind: UpstreamFailure, message: string, canRetry = retryable) =>
    new UpstreamError(kind, message, { upstream, retryable: canRetry, retryAfterMs });

  if (status === 401) return failure('unauthenticated', `${Api} did not accept the credentials.`);
  if (status === 403) return failure('forbidden', `${Api} refused access to this image.`);
  // Nova-style rate limiting has answered 413 with an overLimit body; Huawei's gateway answers 429.
  if (status === 429 || (status === 413 && parsed.fault === 'overLimit')) {
    return failure('rate_limited', `${Api} is throttling requests.`, true);
  }
  if (status === 408) return failure('timeout', `${Api} timed out the request.`, true);
  if (status >= 500) return failure('unavailable', `${Api} is unavailable (HTTP ${status}).`);
  return failure('unexpected', `${Api} answered HTTP ${status}.`, false);
}

interface ParsedErrorBody {
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
  /** The Nova fault name, e.g. `overLimit`. */
  readonly fault: string | null;
  readonly retryAfterMs: number | undefined;
}

/**
 * Reads any of the three error-body families (docs/legacy-api.md §3), trusting none of them:
 * 1. Nova: `{"itemNotFound": {"code": 404, "message": "...", "retryAfter": "2"}}` (a numeric code)
 * 2. Huawei: `{"error": {"code": "Ecs.0031", "message": "..."}}`
 * 3. API gateway: `{"error_code": "APIG.0308", "error_msg": "...", "request_id": "..."}`
 * An empty, HTML, cut-off or unknown body yields nulls.
 */
export function parseErrorBody(body: string): ParsedErrorBody {
  const none: ParsedErrorBody = { code: null, message: null, requestId: null, fault: null, retryAfterMs: undefined };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return none;
  }
  if (!isRecord(json)) return none;

  if ('error_code' in json || 'error_msg' in json) {
    return { ...none, code: codeOf(json['error_code']), message: messageOf(json['error_msg']), requestId: requestIdOf(json['request_id']) };
  }
  if (isRecord(json['error'])) {
    const error = json['error'];
    return { ...none, code: codeOf(error['code']), message: messageOf(error['message']), requestId: requestIdOf(error['request_id']) };
  }
  const entries = Object.entries(json);
  const [fault, detail] = entries.length === 1 ? (entries[0] as [string, unknown]) : [];
  if (fault !== undefined && isRecord(detail)) {
    return { ...none, code: codeOf(fault), fault, message: messageOf(detail['message']), retryAfterMs: seconds(detail['retryAfter']) };
  }
  return none;
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const delay = seconds(value);
  if (delay !== undefined) return delay;
  // An HTTP date always has a weekday or month name; Date.parse alone would read "-1" as a year.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function seconds(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(number) && number >= 0 ? Math.round(number * 1000) : undefined;
}

/** A member as text (a number as its digits), or null. */
function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

// Every part of a body that reaches a caller goes through upstream-message.ts: none of it may carry a credential.
const codeOf = (value: unknown) => nullOr(text(value), safeCode);
const messageOf = (value: unknown) => nullOr(text(value), safeMessage);
const requestIdOf = (value: unknown) => nullOr(text(value), safeRequestId);
const nullOr = (value: string | null, safe: (text: string) => string | null) => (value === null ? null : safe(value));

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
