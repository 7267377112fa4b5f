import { getNamedType, getNullableType, getOperationAST, GraphQLError, isLeafType, isListType, isObjectType, Kind, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FieldNode, type GraphQLFieldResolver, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Compiled execution (graphql-jit): an operation seen a second time is compiled to plain JavaScript, and
 * every later request runs that instead of graphql-js's interpreter. The first time runs on graphql-js,
 * so a stream of one-off documents costs no compilation. Yoga parses each distinct text once and hands
 * the same DocumentNode back, so compiled operations are kept per DocumentNode and operation name, and
 * go when Yoga's parse cache lets the document go. Anything graphql-jit cannot compile runs on graphql-js.
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
 * (@envelop/graphql-jit is not used: it keys compiled queries by document alone, so in a document of two
 * operations the second one asked for would run the first.)
 */
export function useCompiledExecution(schema: GraphQLSchema): Plugin {
  settleListItems(schema);
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | 'seen' | 'not compilable'>>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    let ofDocument = compiled.get(args.document);
    if (!ofDocument) compiled.set(args.document, (ofDocument = new Map()));
    const name = args.operationName ?? '';
    const known = ofDocument.get(name);
    if (known === undefined) ofDocument.set(name, 'seen');
    if (known !== 'seen') return typeof known === 'object' ? known : undefined;
    const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    ofDocument.set(name, isCompiledQuery(result) ? result : 'not compilable');
    return isCompiledQuery(result) ? result : undefined;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      if (args.schema !== schema) return;
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (args: ExecutionArgs) => withErrorNodes(await query.query(args.rootValue, args.contextValue, args.variableValues), args));
    },
  };
}

/** graphql-jit's result, its errors given the AST nodes Yoga needs to write their locations. */
function withErrorNodes(result: ExecutionResult, args: ExecutionArgs): ExecutionResult {
  if (!result.errors?.some(lacksNodes)) return result;
  const errors = result.errors.map((error) => {
    const node = lacksNodes(error) ? fieldAt(args.document, args.operationName, error.path!) : undefined;
    return node ? new GraphQLError(error.message, { nodes: [node], path: error.path, originalError: error.originalError ?? error, extensions: error.extensions }) : error;
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

/** The field node that produced the value at `path` (response names and list indexes) in the operation. */
function fieldAt(document: DocumentNode, operationName: string | null | undefined, path: ReadonlyArray<string | number>): FieldNode | undefined {
  const fragments = new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])));
  const find = (selectionSet: SelectionSetNode | undefined, name: string): FieldNode | undefined => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if ((selection.alias?.value ?? selection.name.value) === name) return selection;
      } else {
        const found = find(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet, name);
        if (found) return found;
      }
    }
    return undefined;
  };
  let node: FieldNode | undefined;
  let selectionSet: SelectionSetNode | undefined = getOperationAST(document, operationName)?.selectionSet;
  for (const step of path) {
    if (typeof step === 'number') continue;
    node = find(selectionSet, step);
    selectionSet = node?.selectionSet;
  }
  return node;
}
