import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Pothos and Yoga load graphql's CommonJS build; without this a test's own `import 'graphql'` gets the
    // ESM build and graphql-js refuses types "from another module or realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
