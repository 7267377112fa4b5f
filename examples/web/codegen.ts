import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed document nodes for the example's documents, from the schema the service publishes (schema.graphql at
// the repository's root; a team outside this repository would point `schema` at its copy, or at the service's
// URL). `npm run codegen:check` fails when src/gql/ is stale.
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/documents/*.graphql'],
  generates: {
    'src/gql/': {
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true },
    },
  },
};

export default config;
