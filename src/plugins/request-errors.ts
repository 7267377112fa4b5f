import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors.js';

/**
 * A request that never ran (unparseable, over a limit, invalid against the schema, wrong variable types,
 * a bad JSON body, refused by CSRF prevention) answers with a 4xx status whatever the Accept header.
 * GraphQL over HTTP lets a server answer such a request with 200 when the client accepts
 * `application/json`, which tells monitors, CDNs and frontends that all went well; this service never
 * does. Each such error also gets a code where the library gave none, and Yoga's `originalError` detail
 * (a parser's internal message) is dropped.
 */
export function useRequestErrorStatus(): Plugin {
  return {
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
          extensions.http = { ...extensions.http, status, spec: false };
          extensions['code'] ??= (status === 403 ? 'CSRF_PREVENTED' : 'BAD_USER_INPUT') satisfies ErrorCode;
          delete extensions['originalError'];
        }
      }
    },
  };
}
