import { API_NAMES } from './backend.js';
/**
 * What can go wrong with a call to an upstream API, classified once by the adapter that made it (from the
 * status, headers and body: upstream/error-body.ts). The GraphQL layer turns each kind into an
 * `extensions.code`; nothing here knows GraphQL or HTTP.
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

/** Classifies a failure to get an answer at all. */
export function errorFromException(error: unknown, reason: 'attempt-timeout' | 'deadline' | 'aborted' | undefined, api = API_NAMES.ecs): UpstreamError {
  if (reason === 'deadline') return new UpstreamError('timeout', `The operation's deadline passed before ${api} answered.`, { cause: error });
  if (reason === 'attempt-timeout') {
    return new UpstreamError('timeout', `${capitalised(api)} did not answer in time.`, { retryable: true, cause: error });
  }
  if (reason === 'aborted') return new UpstreamError('timeout', 'The request was cancelled.', { cause: error });
  // Connection refused or reset, DNS failure, TLS failure, connect timeout, socket closed mid-answer.
  return new UpstreamError('unavailable', `${capitalised(api)} could not be reached.`, { retryable: true, cause: error });
}

/** `text` to start a sentence with (`the upstream` -> `The upstream`). */
export const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Why an operation's signal aborted, if it did: its deadline (a TimeoutError) or the client leaving. */
export function abortReason(signal: AbortSignal): 'deadline' | 'aborted' | undefined {
  if (!signal.aborted) return undefined;
  return (signal.reason as Error | undefined)?.name === 'TimeoutError' ? 'deadline' : 'aborted';
}
