import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  typeFromAST,
  getDirectiveValues,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/** What an operation can cost, known before it runs. */
export interface OperationSize {
  /**
   * Image results the response can hold: each `image` field, each id of each `images` list (repeats
   * included: each is copied into the response), each `_entities` representation, times enclosing lists.
   */
  readonly images: number;
  /**
   * The demand-control cost, computed as Hive Gateway computes it from `@cost` and `@listSize` (a field's
   * weight, plus its type's weight, 1 for an object and 0 for a scalar by default, times the sizes of the
   * lists around it), except that the length of a list the service can count (`ids`, `representations`) is
   * used instead of the assumed size.
   */
  readonly cost: number;
  /**
   * A field of an image, or of something inside one (a metadata entry), selected under several names: its data
   * would be copied once per name, and none of these fields takes an argument that could make the copies differ.
   */
  readonly repeatedImageField?: { readonly field: string; readonly names: readonly string[] } | undefined;
}

const IMAGE = 'Image';

/** The list arguments whose length the service knows before it runs: the images they make. */
const COUNTED_LISTS: Record<string, string> = { 'Query.images': 'ids', 'Query._entities': 'representations' };

/**
 * Measures `operation` (of `document`) with `rawVariables`: its size, or the errors of its variables when they
 * do not coerce (the same errors execution would give: this runs first).
 *
 * Hand-written rather than graphql-query-complexity: that library cannot read `@cost`/`@listSize`, and cannot
 * see a field repeated under several aliases; here one walk, with graphql-js's own argument, variable and
 * @skip/@include coercion, gives all three.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | null | undefined,
): OperationSize | { readonly errors: readonly GraphQLError[] } | undefined {
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  // As graphql-js's execute coerces them (50 errors at most), so that a client sees the same errors.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 50 });
  if ('errors' in coerced) return { errors: coerced.errors };
  const known = sizesOf(document).get(operation);
  if (known) return known;
  const variables = coerced.coerced;
  // Whether the size read a variable (an id list's length, an @include): if not, it holds for every request.
  let readsVariables = false;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === 'FragmentDefinition') fragments[definition.name.value] = definition;
  }
  let images = 0;
  let repeatedImageField: OperationSize['repeatedImageField'];

  /**
   * The cost of a selection set on `type`, `multiplicity` times over; counts the images it holds on the way and,
   * inside an image (`withinImage`), looks for a field selected twice.
   */
  const measure = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], multiplicity: number, withinImage = false): number => {
    const fields = collectFields(type, selectionSets);
    const inImage = withinImage || type.name === IMAGE;
    if (inImage) repeatedImageField ??= repeatedField(type, fields);
    let cost = 0;
    for (const nodes of fields.values()) {
      const [node] = nodes as [FieldNode];
      const field = type.getFields()[node.name.value];
      if (!field) continue; // __typename
      const size = listSize(type, field, node);
      const named = getNamedType(field.type);
      const children = nodes.flatMap((each) => (each.selectionSet ? [each.selectionSet] : []));
      let childCost = 0;
      if (isObjectType(named)) {
        childCost = measure(named, children, multiplicity * size, inImage);
      } else if (isAbstractType(named)) {
        // `_entities`: measured as the member its fragments select (Image, the one entity here).
        childCost = Math.max(0, ...schema.getPossibleTypes(named).map((member) => measure(member, children, multiplicity * size, inImage)));
      }
      if (named.name === IMAGE || (isAbstractType(named) && schema.getPossibleTypes(named).some((member) => member.name === IMAGE))) {
        images += multiplicity * size;
      }
      cost += size * (weightOf(field) + typeWeight(named) + childCost);
    }
    return cost;
  };

  /** How many items the field's list holds: counted, assumed by `@listSize`, or 1. */
  const listSize = (type: GraphQLNamedType, field: GraphQLField<unknown, unknown>, node: FieldNode): number => {
    if (!isListType(getNullableType(field.type))) return 1;
    const counted = COUNTED_LISTS[`${type.name}.${field.name}`];
    if (counted) {
      readsVariables = true;
      const value = getArgumentValues(field, node, variables)[counted];
      return Array.isArray(value) ? value.length : 1;
    }
    return directiveArgument(field.extensions, 'listSize', 'assumedSize') ?? 1;
  };

  /** The fields of `selectionSets` on `type` by response name, fragments merged, @skip and @include applied. */
  const collectFields = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], into = new Map<string, FieldNode[]>(), seen = new Set<string>()) => {
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (!included(selection)) continue;
        if (selection.kind === 'Field') {
          const name = selection.alias?.value ?? selection.name.value;
          into.set(name, [...(into.get(name) ?? []), selection]);
        } else if (selection.kind === 'InlineFragment') {
          if (applies(type, selection.typeCondition && typeFromAST(schema, selection.typeCondition))) collectFields(type, [selection.selectionSet], into, seen);
        } else {
          const fragment = fragments[selection.name.value];
          if (!fragment || seen.has(fragment.name.value)) continue;
          seen.add(fragment.name.value);
          if (applies(type, typeFromAST(schema, fragment.typeCondition))) collectFields(type, [fragment.selectionSet], into, seen);
        }
      }
    }
    return into;
  };

  /** Whether a fragment with this type condition applies to an object of `type`. */
  const applies = (type: GraphQLObjectType, condition: GraphQLNamedType | undefined): boolean =>
    condition === undefined || condition === type || (isAbstractType(condition) && schema.isSubType(condition, type));

  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean => {
    if (node.directives?.some((directive) => directive.arguments?.some((argument) => argument.value.kind === 'Variable'))) readsVariables = true;
    return getDirectiveValues(GraphQLSkipDirective, node, variables)?.['if'] !== true && getDirectiveValues(GraphQLIncludeDirective, node, variables)?.['if'] !== false;
  };

  const cost = measure(root, [operation.selectionSet], 1);
  const size = { images, cost, repeatedImageField };
  if (!readsVariables) sizesOf(document).set(operation, size);
  return size;
}

/**
 * Sizes that no variable changes, by operation, for each document: Yoga parses a document once and reuses
 * it, so an operation of many aliased `image` fields is walked once, not on every request.
 */
const knownSizes = new WeakMap<DocumentNode, Map<OperationDefinitionNode, OperationSize>>();
function sizesOf(document: DocumentNode): Map<OperationDefinitionNode, OperationSize> {
  let sizes = knownSizes.get(document);
  if (!sizes) knownSizes.set(document, (sizes = new Map()));
  return sizes;
}

/** A field of `type` selected under more than one response name, `__typename` included. */
function repeatedField(type: GraphQLObjectType, fields: ReadonlyMap<string, FieldNode[]>): OperationSize['repeatedImageField'] {
  const namesByField = new Map<string, string[]>();
  for (const [name, [node]] of fields) {
    if (!node) continue;
    namesByField.set(node.name.value, [...(namesByField.get(node.name.value) ?? []), name]);
  }
  for (const [field, names] of namesByField) if (names.length > 1) return { field: `${type.name}.${field}`, names };
  return undefined;
}

/** The field's own `@cost` weight; 0 without one. */
function weightOf(field: GraphQLField<unknown, unknown>): number {
  return directiveArgument(field.extensions, 'cost', 'weight') ?? 0;
}

/** The type's `@cost` weight; without one, 1 for an object, interface or union and 0 for a scalar or enum. */
function typeWeight(type: GraphQLNamedType): number {
  return directiveArgument(type.extensions, 'cost', 'weight') ?? (isCompositeType(type) ? 1 : 0);
}

/** A numeric argument of a directive as Pothos records it (`extensions.directives`: `[{ name, args }]`). */
function directiveArgument(extensions: Readonly<Record<string, unknown>> | null | undefined, directive: string, argument: string): number | undefined {
  const directives = extensions?.['directives'];
  if (!Array.isArray(directives)) return undefined;
  const found = (directives as Array<{ name: string; args?: Record<string, unknown> }>).find((each) => each.name === directive);
  const value = found?.args?.[argument];
  return typeof value === 'number' ? value : undefined;
}
