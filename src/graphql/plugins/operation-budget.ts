import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { operationTooLarge } from '../errors.js';
import { measureOperation } from './operation-size.js';

/** The request header that asks for `extensions.cost` in the response. */
export const COST_HEADER = 'graphql-cost';

/**
 * The operation budget, checked after variables are coerced and before any resolver runs (so before any
 * upstream call): at most `maxImages` image results, and no field of an image selected under two names.
 * GraphQL Armor's limits cannot see either: they count the document, not the ids in its variables.
 *
 * Also adds to the result `extensions.stale` (images answered from an expired cache entry), always, and
 * `extensions.cost` when the request asks for it with `graphql-cost: include`.
 */
export function useOperationBudget(options: { maxImages: number }): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { operation: record } = args.contextValue;
      if (!record.operation) return undefined; // no such operation: execution says so
      const size = measureOperation(args.schema, args.document, record.operation, args.variableValues);
      if (!size) return undefined; // not a query (validation refused it already)
      if ('errors' in size) {
        // Said here, as graphql-js says it: compiled execution reports bad variables in its own way.
        setResultAndStopExecution({ errors: size.errors });
        return undefined;
      }
      if (size.repeatedImageField) {
        const { field, names } = size.repeatedImageField;
        setResultAndStopExecution({
          errors: [
            operationTooLarge(
              `${field} is selected under ${names.length} names (${names.join(', ')}): its data would be copied into the response once per name. Select each field of an image once.`,
            ),
          ],
        });
        return undefined;
      }
      if (size.images > options.maxImages) {
        setResultAndStopExecution({
          errors: [
            operationTooLarge(
              `This operation can produce ${size.images} image results; at most ${options.maxImages} are allowed (MAX_IMAGES_PER_OPERATION). ` +
                'Each image field, each id of an images list (repeats included) and each _entities representation counts.',
              { images: size.images, maxImages: options.maxImages },
            ),
          ],
        });
        return undefined;
      }
      const wantsCost = args.contextValue.request.headers.get(COST_HEADER) === 'include';
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const { ledger } = record;
          if (!wantsCost && ledger.stale.length === 0) return;
          setResult({
            ...result,
            extensions: {
              ...result.extensions,
              ...(ledger.stale.length > 0 && { stale: ledger.stale }),
              ...(wantsCost && { cost: { estimated: size.cost, images: size.images, maxImages: options.maxImages, upstreamCalls: ledger.upstreamCalls } }),
            },
          });
        },
      };
    },
  };
}
