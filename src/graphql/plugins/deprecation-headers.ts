import type { Plugin } from 'graphql-yoga';
import type { DeprecationNotice } from '../../config/index.js';
import type { Context } from '../context.js';
import { deprecatedFieldsSelectedBy } from '../deprecated-fields.js';
import type { OperationRecords } from '../operation-record.js';

/**
 * Where to migrate: IMS "Querying Images" (`GET /v2/cloudimages`), the page Huawei's own notice on the
 * deprecated ECS API points to (docs/legacy-api.zh.md).
 */
export const MIGRATION_GUIDE = 'https://support.huaweicloud.com/api-ims/ims_03_0709.html';

/** The headers a response that selects a deprecated field carries, names in lower case as Fetch gives them. */
export function deprecationHeaders(notice: DeprecationNotice): Record<string, string> {
  return {
    // RFC 9745: a Structured Field Date, `@` and whole seconds since the epoch.
    deprecation: `@${Math.floor(notice.deprecatedAt.getTime() / 1000)}`,
    link: `<${MIGRATION_GUIDE}>; rel="deprecation"; type="text/html"`,
    // RFC 8594: an HTTP-date (IMF-fixdate), which is what toUTCString writes.
    ...(notice.sunsetAt && { sunset: notice.sunsetAt.toUTCString() }),
  };
}

/**
 * Tells every client, whatever it reads, that it relies on the deprecated ECS API: a response whose operation
 * selects a deprecated field carries `Deprecation`, a `Link` to the IMS documentation, and, once a date is
 * set, `Sunset`. The deprecation marks in the schema reach only those who look at it; these reach HTTP
 * logs, client middlewares and gateways (federation/gateway.config.ts passes them on).
 *
 * Only the operation that runs counts (a document may hold others), and only when it runs: a request refused
 * before execution (unparseable, invalid, over a limit) gets none, as its response has no `data`.
 */
export function useDeprecationHeaders(notice: DeprecationNotice, records: Pick<OperationRecords, 'of'>): Plugin<Context> {
  const headers = Object.entries(deprecationHeaders(notice));
  return {
    onExecute({ args }) {
      const { operation } = args.contextValue;
      if (!operation.operation || deprecatedFieldsSelectedBy(args.schema, args.document, operation.operation).length === 0) return undefined;
      return {
        onExecuteDone({ result }) {
          // A refusal set in place of execution (the operation budget, bad variables) has no `data`.
          if (Symbol.asyncIterator in result || 'data' in result) operation.selectsDeprecated = true;
        },
      };
    },
    onResponse({ request, response }) {
      if (!records.of(request).selectsDeprecated) return;
      for (const [name, value] of headers) {
        // Link may already name other relations; the others have one value each.
        if (name === 'link') response.headers.append(name, value);
        else response.headers.set(name, value);
      }
    },
  };
}
