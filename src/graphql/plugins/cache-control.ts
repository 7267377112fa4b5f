import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import type { OperationRecords } from '../operation-record.js';
import { COST_HEADER } from './operation-budget.js';

/**
 * Who may keep a response: `private` when it depends on the caller's credential (passthrough, and service
 * mode with JWT callers: a shared cache would hand it to requests that bring no JWT), `public` when the service
 * answers everyone alike (service mode behind network isolation).
 */
export type CacheVisibility = 'private' | 'public';

/**
 * A `Cache-Control` header on every GraphQL response, so that gateway and CDN caches (Apollo Router's response
 * cache, Hive Gateway's HTTP cache) keep only what they may, and no longer than this service's own cache would:
 * `no-store` for a response with any error, or one that read no image; otherwise `<visibility>, max-age=N`
 * where N is the smallest time, in whole seconds, any image it read stays fresh here (0 with the cache off, or
 * for a stale answer). `Vary` names the request headers the answer depends on, so that no cache (a browser's
 * included) serves it to a request that differs in them: the media type (`Accept`), the CORS headers
 * (`Origin`), `extensions.cost` (`graphql-cost`), and for a private answer the caller's credential.
 */
export function useCacheControl(visibility: CacheVisibility, records: Pick<OperationRecords, 'of'>): Plugin<Context> {
  const vary = ['Accept', 'Origin', COST_HEADER, ...(visibility === 'private' ? ['X-Auth-Token', 'Authorization'] : [])].join(', ');
  return {
    onExecute({ args }) {
      const { operation } = args.contextValue;
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          const { freshForMs } = operation.ledger;
          const cacheable = (result.errors?.length ?? 0) === 0 && Number.isFinite(freshForMs);
          if (cacheable) operation.cacheControl = `${visibility}, max-age=${Math.max(0, Math.floor(freshForMs / 1000))}`;
        },
      };
    },
    onResponse({ request, response }) {
      // Requests refused before they ran, and everything that is not an operation, are never cached.
      const verdict = records.of(request).cacheControl ?? 'no-store';
      response.headers.set('cache-control', verdict);
      if (verdict !== 'no-store') response.headers.append('vary', vary);
    },
  };
}
