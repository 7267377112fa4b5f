import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { LimitsConfig } from '../../config/index.js';

/**
 * What keeps abusive operations out, before any upstream call: GraphQL Armor's depth, alias, token, cost
 * and directive limits; introspection (and field suggestions, which leak the schema too) when it is off;
 * and, in trusted-documents mode, every operation that is not a persisted one.
 */
export function limitPlugins(options: {
  limits: Pick<LimitsConfig, 'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxCost' | 'maxDirectives'>;
  introspection: boolean;
  trustedDocuments: ReadonlyMap<string, string> | undefined;
}): Plugin[] {
  const { limits } = options;
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      // Armor 3 counts only a *field* named __schema as introspection; older versions also skipped an
      // *operation* named __schema, which let any query through. test/limits.test.ts checks this stays so.
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
      maxAliases: { n: limits.maxAliases },
      maxTokens: { n: limits.maxTokens },
      costLimit: { maxCost: limits.maxCost },
      maxDirectives: { n: limits.maxDirectives },
      blockFieldSuggestion: { enabled: !options.introspection },
    }) as Plugin,
  ];
  plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(QueriesOnlyRule) });
  if (!options.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  const documents = options.trustedDocuments;
  if (documents) {
    plugins.push(
      usePersistedOperations({
        getPersistedOperation: (id) => documents.get(id) ?? null,
        allowArbitraryOperations: false,
        // Read both the GraphQL-over-HTTP `documentId` and Apollo's `extensions.persistedQuery.sha256Hash`.
        extractPersistedOperationId: (params) => {
          const documentId = (params as { documentId?: unknown }).documentId;
          if (typeof documentId === 'string') return documentId;
          const hash = (params.extensions?.['persistedQuery'] as { sha256Hash?: unknown } | undefined)?.sha256Hash;
          return typeof hash === 'string' ? hash : null;
        },
      }),
    );
  }
  return plugins;
}

/**
 * The schema has no mutations or subscriptions; graphql-js would only say so when executing (200, `data: null`
 * and no code). Refusing them while validating gives them a status and a code like any invalid document.
 */
const QueriesOnlyRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'query') return;
    context.reportError(new GraphQLError(`This API serves queries only: ${node.operation} operations are not supported.`, { nodes: [node] }));
  },
});
