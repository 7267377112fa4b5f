import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError, type MaskError } from 'graphql-yoga';
import type { ErrorCode } from './error-codes.js';
import { UpstreamError, type UpstreamFailure } from '../images/upstream-error.js';
import { InvalidIdError } from '../images/image-ref.js';

// Every error this API answers with gets its `extensions.code` here (or from Yoga, for the request errors
// src/graphql/error-codes.ts lists); nowhere else.

const CODES: Record<Exclude<UpstreamFailure, 'unexpected'>, ErrorCode> = {
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  rate_limited: 'RATE_LIMITED',
  timeout: 'UPSTREAM_TIMEOUT',
  unavailable: 'UPSTREAM_UNAVAILABLE',
  bad_response: 'UPSTREAM_BAD_RESPONSE',
};

export function badUserInput(message: string, argumentName: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, argumentName } });
}

/** An operation, or one of its image results, over the service's size limits. */
export function operationTooLarge(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'OPERATION_TOO_LARGE' satisfies ErrorCode, ...extensions } });
}

/** Refused before any upstream call: the request brings no credential. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' satisfies ErrorCode } });
}

/** Not decided: the identity provider's key set cannot be had to check the caller's JWT (like an HTTP 503). */
export function identityProviderUnavailable(message: string, retryAfterMs: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'IDENTITY_PROVIDER_UNAVAILABLE' satisfies ErrorCode, retryAfter: Math.ceil(retryAfterMs / 1000) } });
}

/** Refused before any upstream call: the service may not read this project. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' satisfies ErrorCode } });
}

/**
 * Turns an expected failure from the layers below (bad input, an upstream answer) into a GraphQL error
 * with its code. Anything else, an `unexpected` upstream answer included, is returned unchanged: Yoga
 * then logs it and answers with a masked "Unexpected error.".
 */
export function toGraphQLError(error: unknown): unknown {
  if (error instanceof InvalidIdError) return badUserInput(error.message, error.argument);
  if (error instanceof UpstreamError && error.failure !== 'unexpected') {
    const { upstream, retryAfterMs } = error;
    return new GraphQLError(error.message, {
      extensions: {
        code: CODES[error.failure],
        // Only what the upstream said, parsed; never a header we sent.
        ...(upstream && { upstream: { status: upstream.status, code: upstream.code, message: upstream.message, requestId: upstream.requestId } }),
        ...(error.failure === 'rate_limited' && retryAfterMs !== undefined && { retryAfter: Math.ceil(retryAfterMs / 1000) }),
      },
    });
  }
  return error;
}

/** A GraphQL-over-HTTP request that is malformed (a parameter of the wrong type): 400 whatever the client accepts. */
export function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' satisfies ErrorCode, http: { status: 400 } } });
}

/** A request body over `MAX_BODY_BYTES`: 413 whatever the client accepts. */
export function requestTooLarge(): GraphQLError {
  return new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' satisfies ErrorCode, http: { status: 413 } } });
}

/** The code a client sees for `error`: its own, or, for an error that has none (masked, unexpected), INTERNAL_SERVER_ERROR. */
export function codeOf(error: { extensions?: Readonly<Record<string, unknown>> } | undefined): string {
  const code = error?.extensions?.['code'];
  return typeof code === 'string' ? code : ('INTERNAL_SERVER_ERROR' satisfies ErrorCode);
}

/** The code of a request refused with `status` by something that gave it none (GraphQL Armor's limits, CSRF prevention). */
export function refusalCode(status: number): ErrorCode {
  return status === 403 ? 'CSRF_PREVENTED' : 'BAD_USER_INPUT';
}

/** Yoga's masking, never in development mode: no stack trace or original message reaches a client. */
export const maskError: MaskError = (error, message) => yogaMaskError(error, message, false);
