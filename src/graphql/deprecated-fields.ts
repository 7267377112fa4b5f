import {
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutableDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/** One use of a deprecated field: the type that declares it and its name. */
export interface DeprecatedFieldUse {
  readonly typeName: string;
  readonly fieldName: string;
}

/** The deprecated fields one definition (an operation or a fragment) selects itself, and the fragments it spreads. */
interface DefinitionUses {
  readonly uses: DeprecatedFieldUse[];
  readonly spreads: Set<string>;
}

/** What the walk of a document found, and what was since derived from it per operation. */
interface DocumentUses {
  /** Every use in the document, in document order: every operation and fragment, spread or not. */
  readonly all: readonly DeprecatedFieldUse[];
  readonly fragments: ReadonlyMap<string, DefinitionUses>;
  readonly operations: ReadonlyMap<OperationDefinitionNode, DefinitionUses>;
  readonly byOperation: Map<OperationDefinitionNode, readonly DeprecatedFieldUse[]>;
}

const NONE: readonly DeprecatedFieldUse[] = [];

/**
 * Per schema, then per document: Yoga parses a document once and hands the same DocumentNode to every request
 * that sends it, so each is walked once. Both maps are weak, so nothing outlives the document or the schema.
 */
const walked = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentUses>>();

/**
 * Every use of a deprecated field anywhere in `document`, whatever operation runs: what
 * `graphql_envelop_deprecated_field` counts, as @envelop/prometheus counts it.
 */
export function deprecatedFieldsInDocument(schema: GraphQLSchema, document: DocumentNode): readonly DeprecatedFieldUse[] {
  return usesOf(schema, document).all;
}

/**
 * The deprecated fields `operation` (of `document`) selects, through the fragments it spreads (each fragment
 * once): only the operation that runs counts, not its neighbours in the document. Introspection
 * (`__type { fields(includeDeprecated: true) }`) selects no deprecated field, only fields that describe them.
 */
export function deprecatedFieldsSelectedBy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): readonly DeprecatedFieldUse[] {
  const found = usesOf(schema, document);
  let uses = found.byOperation.get(operation);
  if (!uses) {
    uses = collect(found, operation);
    found.byOperation.set(operation, uses);
  }
  return uses;
}

function usesOf(schema: GraphQLSchema, document: DocumentNode): DocumentUses {
  let documents = walked.get(schema);
  if (!documents) {
    documents = new WeakMap();
    walked.set(schema, documents);
  }
  let found = documents.get(document);
  if (!found) {
    found = walk(schema, document);
    documents.set(document, found);
  }
  return found;
}

/** One walk of the whole document with a TypeInfo, noting for each definition what it selects and spreads. */
function walk(schema: GraphQLSchema, document: DocumentNode): DocumentUses {
  const typeInfo = new TypeInfo(schema);
  const all: DeprecatedFieldUse[] = [];
  const fragments = new Map<string, DefinitionUses>();
  const operations = new Map<OperationDefinitionNode, DefinitionUses>();
  let current: DefinitionUses | undefined;
  const enterDefinition = (definition: ExecutableDefinitionNode) => {
    current = { uses: [], spreads: new Set() };
    if (definition.kind === 'OperationDefinition') operations.set(definition, current);
    else fragments.set(definition.name.value, current);
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: enterDefinition,
      FragmentDefinition: enterDefinition,
      FragmentSpread(spread) {
        current?.spreads.add(spread.name.value);
      },
      Field() {
        const field = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (field?.deprecationReason == null || !parent) return;
        const use = { typeName: parent.name, fieldName: field.name };
        all.push(use);
        current?.uses.push(use);
      },
    }),
  );
  return { all, fragments, operations, byOperation: new Map() };
}

/** The operation's own uses and those of every fragment it reaches, each fragment counted once. */
function collect(found: DocumentUses, operation: OperationDefinitionNode): readonly DeprecatedFieldUse[] {
  const own = found.operations.get(operation);
  if (!own) return NONE;
  const uses = [...own.uses];
  const seen = new Set<string>();
  const pending = [...own.spreads];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const fragment = found.fragments.get(name);
    if (!fragment) continue;
    uses.push(...fragment.uses);
    pending.push(...fragment.spreads);
  }
  return uses.length > 0 ? uses : NONE;
}
