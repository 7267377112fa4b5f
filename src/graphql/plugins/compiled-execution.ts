import { BREAK, getNamedType, getNullableType, getOperationAST, GraphQLError, isLeafType, isListType, isObjectType, Kind, visit, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FieldNode, type GraphQLFieldResolver, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Context } from '../context.js';
import { PARSE_CACHE_MAX_BYTES, PARSE_CACHE_MAX_ENTRY_BYTES, parsedDocumentBytes } from '../parse-caches.js';

/**
 * Compiled execution (graphql-jit): an operation run {@link COMPILE_AFTER} times is compiled to plain
 * JavaScript, and every later request runs that instead of graphql-js's interpreter. Until then it runs on
 * graphql-js, so one-off documents cost no compilation (a compile takes tens of milliseconds for a large
 * operation, and a caller sending new texts must send each many times to cause one). Yoga parses each distinct
 * text once and hands the same DocumentNode back, so operations are counted and kept per DocumentNode and
 * operation name, for the {@link MAX_DOCUMENTS} documents used last. Anything graphql-jit cannot compile runs
 * on graphql-js, and so does any document with `@skip` or `@include`: graphql-jit 0.8.9 writes their
 * conditions onto the shared field nodes, so a fragment spread twice, once conditionally, loses its fields.
 *
 * graphql-jit answers as graphql-js does, but for two things put right here:
 * - an error raised in a field carries its locations but not the AST nodes they came from, and Yoga writes
 *   an error's locations from its nodes, so clients would see none: the nodes are found again from the
 *   error's path;
 * - a list item whose promise rejects is written at the end of the list, not at its index (graphql-jit
 *   0.8.9), so `images` and `_entities` would answer out of order or short: list fields are settled before
 *   graphql-jit sees them, each failed item as its Error value, which both engines answer with the same
 *   null and the same error at the item's path.
 * Variables that do not coerce are refused before execution, by useOperationBudget, with graphql-js's errors.
 * Which engine ran is noted on the operation's record (`graphql_execution_total{engine}` counts it).
 * (@envelop/graphql-jit is not used: it keys compiled queries by document alone, so in a document of two
 * operations the second one asked for would run the first.)
 */
export function useCompiledExecution(schema: GraphQLSchema): Plugin<Context> {
  settleListItems(schema);
  // Per document: 'interpreted' when it is never to be compiled, else each operation's runs so far, then its
  // compiled form (or 'interpreted' when graphql-jit refused it).
  // Bounded by the heap of the documents it keeps alive (Yoga's parser cache may have let them go) as well as by
  // their number: 200 documents of 2,000 tokens each, the most GraphQL Armor lets through, would hold 144 MB.
  const documents = new LRUCache<DocumentNode, Map<string, CompiledQuery | number | 'interpreted'> | 'interpreted'>({
    max: MAX_DOCUMENTS,
    // The parser cache's bounds: a document it will not keep (parsed anew at each request) is not kept here either.
    maxSize: PARSE_CACHE_MAX_BYTES,
    maxEntrySize: PARSE_CACHE_MAX_ENTRY_BYTES,
    sizeCalculation: (_operations, document) => parsedDocumentBytes(document, document.loc?.source.body ?? ''),
  });
  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    let operations = documents.get(args.document);
    if (operations === undefined) documents.set(args.document, (operations = hasConditions(args.document) ? 'interpreted' : new Map()));
    if (operations === 'interpreted') return undefined;
    const name = args.operationName ?? '';
    const known = operations.get(name) ?? 0;
    if (typeof known === 'object') return known;
    if (known === 'interpreted') return undefined;
    if (known + 1 < COMPILE_AFTER) {
      operations.set(name, known + 1);
      return undefined;
    }
    const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    operations.set(name, isCompiledQuery(result) ? result : 'interpreted');
    return isCompiledQuery(result) ? result : undefined;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      const { operation } = args.contextValue;
      const query = args.schema === schema ? compiledFor(args) : undefined;
      if (!query) {
        operation.engine = 'interpreted';
        return;
      }
      setExecuteFn(async (args: ExecutionArgs) => {
        operation.engine = 'compiled';
        return withErrorNodes(await query.query(args.rootValue, args.contextValue, args.variableValues), args);
      });
    },
  };
}

/** Runs of an operation on graphql-js before it is compiled. */
export const COMPILE_AFTER = 10;
/** Documents whose counts and compiled operations are kept (each compiled operation takes ~0.5 MB). */
const MAX_DOCUMENTS = 200;

/** Whether any selection of `document` has `@skip` or `@include`. */
function hasConditions(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** graphql-jit's result, its errors given the AST nodes Yoga needs to write their locations. */
function withErrorNodes(result: ExecutionResult, args: ExecutionArgs): ExecutionResult {
  if (!result.errors?.some(lacksNodes)) return result;
  const errors = result.errors.map((error) => {
    const nodes = lacksNodes(error) ? fieldsAt(args.document, args.operationName, error.path!) : [];
    return nodes.length > 0 ? new GraphQLError(error.message, { nodes, path: error.path, originalError: error.originalError ?? error, extensions: error.extensions }) : error;
  });
  return { ...result, errors };
}

const settled = new WeakSet<GraphQLSchema>();

/** Wraps, in place and once, every resolver of a list field so that it returns a promise of settled items. */
function settleListItems(schema: GraphQLSchema): void {
  if (settled.has(schema)) return;
  settled.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.resolve && isListType(getNullableType(field.type)) && !isLeafType(getNamedType(field.type))) field.resolve = settling(field.resolve);
    }
  }
}

function settling(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  const settle = (items: unknown) =>
    Array.isArray(items) && items.some(isThenable)
      ? Promise.all(items.map((item) => (isThenable(item) ? Promise.resolve(item).catch(asError) : item)))
      : items;
  return (source, args, context, info) => {
    const items = resolve(source, args, context, info);
    return isThenable(items) ? Promise.resolve(items).then(settle) : settle(items);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** graphql-jit's errors carry locations but no AST nodes, and Yoga serialises an error from its nodes. */
function lacksNodes(error: GraphQLError): boolean {
  return error.nodes === undefined && error.path !== undefined;
}

/**
 * The field nodes that produced the value at `path` (response names and list indexes) in the operation: every
 * selection of that response name, in document order, as graphql-js merges them.
 */
function fieldsAt(document: DocumentNode, operationName: string | null | undefined, path: ReadonlyArray<string | number>): FieldNode[] {
  const fragments = new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])));
  const collect = (selectionSet: SelectionSetNode | undefined, name: string, into: FieldNode[]): FieldNode[] => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if ((selection.alias?.value ?? selection.name.value) === name) into.push(selection);
      } else {
        collect(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet, name, into);
      }
    }
    return into;
  };
  const operation = getOperationAST(document, operationName);
  let nodes: FieldNode[] = [];
  let selectionSets: Array<SelectionSetNode | undefined> = [operation?.selectionSet];
  for (const step of path) {
    if (typeof step === 'number') continue;
    nodes = selectionSets.flatMap((selectionSet) => collect(selectionSet, step, []));
    selectionSets = nodes.map((node) => node.selectionSet);
  }
  return nodes;
}
