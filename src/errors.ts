import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError, type MaskError } from 'graphql-yoga';
import { InvalidIdError } from './legacy/image-ref.js';

/**
 * The `extensions.code` values this API answers with. Frontends switch on these, so they are made here
 * and nowhere else; the README lists them.
 */
export type ErrorCode = 'BAD_USER_INPUT';

export function badUserInput(message: string, argumentName: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, argumentName } });
}

/**
 * Turns an expected failure from the layers below (bad input, an upstream answer) into a GraphQL error
 * with its code. Anything else is returned unchanged: Yoga then logs it and answers with a masked
 * "Unexpected error.".
 */
export function toGraphQLError(error: unknown): unknown {
  if (error instanceof InvalidIdError) return badUserInput(error.message, error.argument);
  return error;
}

/** Yoga's masking, never in development mode: no stack trace or original message reaches a client. */
export const maskError: MaskError = (error, message) => yogaMaskError(error, message, false);
