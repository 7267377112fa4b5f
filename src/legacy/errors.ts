/**
 * What can go wrong with a call to the legacy API, classified once, here, from the status, headers and
 * body. The GraphQL layer turns each kind into an `extensions.code`; nothing here knows GraphQL.
 */

/** The kinds of failure, each with its own code in the error contract. */
export type UpstreamFailure =
  | 'unauthenticated' // 401, or no credential to send
  | 'forbidden' // 403
  | 'rate_limited' // 429, or 413 with an overLimit body
  | 'timeout' // no answer within the attempt timeout, or the operation's deadline passed
  | 'unavailable' // 5xx, the connection failed, or the circuit is open
  | 'bad_response' // a 2xx whose body is not {"metadata": {string: string}}
  | 'unexpected'; // any other answer (400, 405, a redirect, ...): masked for the client, logged

/** What the upstream said about a failure, parsed from any of its three error-body families. */
export interface UpstreamDetails {
  readonly status: number;
  /** Huawei's code (`Ecs.0031`, `APIG.0308`) or, for a Nova body, the fault name (`itemNotFound`). */
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
}

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    readonly options: {
      /** Present when the upstream answered with a status. */
      readonly upstream?: UpstreamDetails | undefined;
      /** Whether another attempt may succeed (429, 500, 502, 503, 504, attempt timeouts, connection errors). */
      readonly retryable?: boolean;
      /** How long the upstream asked us to wait (Retry-After, or Nova's `retryAfter`). */
      readonly retryAfterMs?: number | undefined;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get upstream(): UpstreamDetails | undefined {
    return this.options.upstream;
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }

  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Classifies a non-2xx, non-404 answer. */
export function errorFromStatus(status: number, headers: Record<string, string | string[] | undefined>, body: string, now = Date.now()): UpstreamError {
  const parsed = parseErrorBody(body);
  const upstream: UpstreamDetails = {
    status,
    code: parsed.code,
    message: parsed.message,
    requestId: firstHeader(headers['x-request-id']) ?? parsed.requestId,
  };
  const retryAfterMs = parseRetryAfter(firstHeader(headers['retry-after']), now) ?? parsed.retryAfterMs;
  const retryable = RETRYABLE_STATUSES.has(status);
  const failure = (kind: UpstreamFailure, message: string, canRetry = retryable) =>
    new UpstreamError(kind, message, { upstream, retryable: canRetry, retryAfterMs });

  if (status === 401) return failure('unauthenticated', 'The legacy API did not accept the credentials.');
  if (status === 403) return failure('forbidden', 'The legacy API refused access to this image.');
  // Nova-style rate limiting has answered 413 with an overLimit body; Huawei's gateway answers 429.
  if (status === 429 || (status === 413 && parsed.fault === 'overLimit')) {
    return failure('rate_limited', 'The legacy API is throttling requests.', true);
  }
  if (status === 408) return failure('timeout', 'The legacy API timed out the request.', true);
  if (status >= 500) return failure('unavailable', `The legacy API is unavailable (HTTP ${status}).`);
  return failure('unexpected', `The legacy API answered HTTP ${status}.`, false);
}

/** Classifies a failure to get an answer at all. */
export function errorFromException(error: unknown, reason: 'attempt-timeout' | 'deadline' | 'aborted' | undefined): UpstreamError {
  if (reason === 'deadline') return new UpstreamError('timeout', "The operation's deadline passed before the legacy API answered.", { cause: error });
  if (reason === 'attempt-timeout') {
    return new UpstreamError('timeout', 'The legacy API did not answer in time.', { retryable: true, cause: error });
  }
  if (reason === 'aborted') return new UpstreamError('timeout', 'The request was cancelled.', { cause: error });
  // Connection refused or reset, DNS failure, TLS failure, connect timeout, socket closed mid-answer.
  return new UpstreamError('unavailable', 'The legacy API could not be reached.', { retryable: true, cause: error });
}

/** Why an operation's signal aborted, if it did: its deadline (a TimeoutError) or the client leaving. */
export function abortReason(signal: AbortSignal): 'deadline' | 'aborted' | undefined {
  if (!signal.aborted) return undefined;
  return (signal.reason as Error | undefined)?.name === 'TimeoutError' ? 'deadline' : 'aborted';
}

interface ParsedErrorBody {
  readonly code: string | null;
  readonly message: string | null;
  readonly requestId: string | null;
  /** The Nova fault name, e.g. `overLimit`. */
  readonly fault: string | null;
  readonly retryAfterMs: number | undefined;
}

const MAX_MESSAGE_LENGTH = 500;

/**
 * Reads any of the three error-body families (legacy README §3), trusting none of them:
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
    return { ...none, code: text(json['error_code']), message: text(json['error_msg']), requestId: text(json['request_id']) };
  }
  if (isRecord(json['error'])) {
    const error = json['error'];
    return { ...none, code: text(error['code']), message: text(error['message']), requestId: text(error['request_id']) };
  }
  const entries = Object.entries(json);
  const [fault, detail] = entries.length === 1 ? (entries[0] as [string, unknown]) : [];
  if (fault !== undefined && isRecord(detail)) {
    return { ...none, code: fault, fault, message: text(detail['message']), retryAfterMs: seconds(detail['retryAfter']) };
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

function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') return null;
  return value.length > MAX_MESSAGE_LENGTH ? `${value.slice(0, MAX_MESSAGE_LENGTH)}…` : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
