import type { Plugin } from 'graphql-yoga';
import { isNotGraphQL } from '../error-codes.js';
import { badRequest, refusalCode } from '../errors.js';

/**
 * The status of a request that never ran (unparseable, invalid, wrong variables, over a limit, refused by CSRF
 * prevention), as GraphQL over HTTP asks: with `application/graphql-response+json` a 4xx; with
 * `application/json` a GraphQL request error is a 200 (Yoga's `spec` flag says so), and only a request that is
 * not GraphQL at all (a bad body, too large, refused by CSRF prevention) keeps its 4xx. Each such error also
 * gets a code where the library gave none, and Yoga's `originalError` detail (a parser's internal message) is
 * dropped.
 */
export function useRequestErrorStatus(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      // Yoga reads a GET's `variables` and `extensions` with JSON.parse: a SyntaxError would be masked as an
      // unexpected error (logged with its stack, for any client to trigger). It is a malformed request.
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof SyntaxError) throw badRequest(`A request parameter is not valid JSON: ${error.message}`);
          throw error;
        }
      });
    },
    onParams({ params }) {
      // Yoga checks `query` and `variables`, not this one: any other type would only fail later, as if the name were unknown.
      const { operationName } = params as { operationName?: unknown };
      if (operationName != null && typeof operationName !== 'string') {
        throw badRequest(`Expected "operationName" param to be a string, but given ${Array.isArray(operationName) ? 'array' : typeof operationName}.`);
      }
    },
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in single) continue;
        // No `data` at all: the request was refused before execution.
        const refused = !('data' in single);
        for (const error of single.errors ?? []) {
          const extensions = error.extensions as Record<string, unknown> & { http?: { status?: number; spec?: boolean } };
          // Limits enforced while parsing (GraphQL Armor's token and directive counts) come without a status.
          const status = extensions.http?.status ?? (refused ? 400 : undefined);
          if (status === undefined || status < 400 || status >= 500) continue;
          extensions['code'] ??= refusalCode(status);
          extensions.http = { ...extensions.http, status, spec: !isNotGraphQL(extensions['code']) };
          delete extensions['originalError'];
        }
      }
    },
  };
}
