import { defineConfig } from 'vitest/config';

/**
 * The suite, in projects that say what kind each test is; `npm test` runs them all, and each runs on its own
 * (`npm run test:unit`, `test:service`, `test:e2e`, `test:scale`, `test:redis-ha`):
 * - unit: functions and modules on their own, no server;
 * - service: the service in this process, over the sandbox as its upstream on loopback, asked as a client would;
 * - e2e: the compiled programs as processes, and the real peers (Redis, Hive Gateway, Chromium, the web example's
 *   tooling). `dist/` is built once for all of them (test/e2e/build-once.ts);
 * - scale: several replicas at once (on one Redis, behind HAProxy), whose tests drive load for seconds
 *   (`npm run test:scale`): docs/scaling.md quotes what they print;
 * - redis-ha: the service on the Redis topologies operators run, started by the tests from the redis-server binary
 *   (a 3-master Cluster, a Sentinel-managed master and replica), and failed over under load. Slower (seconds a file:
 *   sentinels take a few seconds to agree), so they have a project of their own (`npm run test:redis-ha`).
 */
/**
 * Test files that replace a module (vi.mock) need modules of their own: with shared modules, the module they
 * replace may have been loaded already by another file. They run in their own project, isolated.
 */
const MOCKING_MODULES = ['test/service/graphiql.test.ts'];

export default defineConfig({
  resolve: {
    // Pothos and Yoga load graphql's CommonJS build; without this a test's own `import 'graphql'` gets the
    // ESM build and graphql-js refuses types "from another module or realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    // Test files share their worker's modules: loading the service's module graph again for every file took longer
    // than the unit and service tests themselves. Nothing a test imports keeps state between files (each test builds
    // its own services, metrics registry and sandbox), and a test that fakes Date restores real timers after it.
    isolate: false,
    // Two files at a time, though vitest would run one on two cores: most tests wait on sockets and child processes.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'service', include: ['test/service/**/*.test.ts'], exclude: MOCKING_MODULES } },
      { extends: true, test: { name: 'service:isolated', include: MOCKING_MODULES, isolate: true } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/e2e/build-once.ts'] } },
      { extends: true, test: { name: 'scale', include: ['test/scale/**/*.test.ts'], globalSetup: ['test/e2e/build-once.ts'] } },
      { extends: true, test: { name: 'redis-ha', include: ['test/redis-ha/**/*.test.ts'] } },
    ],
  },
});
