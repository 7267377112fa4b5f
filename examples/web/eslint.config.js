import { fileURLToPath } from 'node:url';
import graphql from '@graphql-eslint/eslint-plugin';

// Paths from this file, not from where eslint runs (graphql-config reads them from the working directory).
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

// The example's GraphQL documents, checked against the schema the service publishes: the recommended rules
// for operations, and every deprecated field it reads reported as a warning with its deprecation reason (which
// names where IMS, the replacement API, keeps the same value). A team outside this repository points `schema`
// at its copy of schema.graphql, or at the service's URL.
export default [
  { ignores: ['dist/', 'src/gql/'] },
  {
    files: ['src/documents/*.graphql'],
    languageOptions: {
      parser: graphql.parser,
      parserOptions: { graphQLConfig: { schema: here('../../schema.graphql'), documents: here('src/documents/*.graphql') } },
    },
    plugins: { '@graphql-eslint': graphql },
    rules: {
      ...graphql.configs['flat/operations-recommended'].rules,
      '@graphql-eslint/no-deprecated': 'warn',
    },
  },
];
