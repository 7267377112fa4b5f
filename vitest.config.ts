import { defineConfig } from 'vitest/config';

/**
 * The suite, in three projects that say what kind each test is; `npm test` runs all three, and each runs on its
 * own (`npm run test:unit`, `test:service`, `test:e2e`):
 * - unit: functions and modules on their own, no server;
 * - service: the service in this process, over the sandbox as its upstream on loopback, asked as a client would;
 * - e2e: the compiled programs as processes, and the real peers (Redis, Hive Gateway, Chromium, the web example's
 *   tooling). `dist/` is built once for all of them (test/e2e/build-once.ts).
 */
export default defineConfig({
  resolve: {
    // Pothos and Yoga load graphql's CommonJS build; without this a test's own `import 'graphql'` gets the
    // ESM build and graphql-js refuses types "from another module or realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'service', include: ['test/service/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/e2e/build-once.ts'] } },
    ],
  },
});
