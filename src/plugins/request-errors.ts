import type { Plugin } from 'graphql-yoga';

/**
 * A request that never ran (unparseable, invalid against the schema, wrong variable types, a bad JSON
 * body) answers 400 whatever the Accept header. GraphQL over HTTP lets a server answer such a request
 * with 200 when the client accepts `application/json`, which tells monitors, CDNs and frontends that all
 * went well; this service never does. Each such error also gets a code (`BAD_USER_INPUT` where graphql-js
 * gives none), and Yoga's `originalError` detail (a parser's internal message) is dropped.
 */
export function useRequestErrorStatus(): Plugin {
  return {
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) {
          const extensions = error.extensions as Record<string, unknown> & { http?: { status?: number; spec?: boolean } };
          const status = extensions.http?.status;
          if (status === undefined || status < 400 || status >= 500) continue;
          extensions.http = { ...extensions.http, spec: false };
          extensions['code'] ??= 'BAD_USER_INPUT';
          delete extensions['originalError'];
        }
      }
    },
  };
}
