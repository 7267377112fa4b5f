/**
 * Throughput and latency of the service over real HTTP on loopback, with the sandbox as the upstream.
 * Prints figures; asserts nothing (timings belong here, not in tests). The load generator, the service
 * and the sandbox share this machine's cores, so compare runs on the same machine only.
 * Usage: npm run bench [-- --duration 10 --connections 20]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import { defaultConfig, type Config } from '../src/config.js';
import { DOCUMENTED_IMAGE, type SampleImage } from '../src/sandbox/samples.js';
import { startSandbox } from '../src/sandbox/server.js';
import { createServices } from '../src/services.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '20' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

const PROJECT = DOCUMENTED_IMAGE.projectId;
const images: SampleImage[] = Array.from({ length: 20 }, (_, n) => ({
  projectId: PROJECT,
  imageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  metadata: DOCUMENTED_IMAGE.metadata,
}));
const sandbox = await startSandbox({ images });

/** The service with `cacheTtlMs`, listening on a free loopback port. */
async function serve(cacheTtlMs: number) {
  const defaults = defaultConfig();
  const config: Config = { ...defaults, cache: { ...defaults.cache, ttlMs: cacheTtlMs, notFoundTtlMs: 0 } };
  const services = createServices(config, sandbox.url, { logger: pino({ level: 'silent' }), tokenRequired: false });
  const server = createServer(createApp(services.appDeps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: async () => {
      server.close();
      await services.close();
    },
  };
}

const one = `{ image(projectId: "${PROJECT}", id: "${images[0]!.imageId}") { id osType osBit platform metadata { key value } } }`;
const twenty = `{ images(projectId: "${PROJECT}", ids: ${JSON.stringify(images.map((image) => image.imageId))}) { id osType osBit platform metadata { key value } } }`;
// A token per operation defeats caching and coalescing (both are per caller): every image is a real call.
const scenarios = [
  { name: 'one image, typed fields + metadata, every image from the upstream', query: one, cacheTtlMs: 0, tokenPerOperation: true },
  { name: '20 images in one operation, every image from the upstream', query: twenty, cacheTtlMs: 0, tokenPerOperation: true },
  { name: '20 images in one operation, one caller, from the in-memory cache', query: twenty, cacheTtlMs: 600_000, tokenPerOperation: false },
];

console.log(`node ${process.version}, ${connections} connections, ${duration}s per scenario\n`);
for (const scenario of scenarios) {
  const service = await serve(scenario.cacheTtlMs);
  sandbox.requests.length = 0;
  let operation = 0;
  const result = await autocannon({
    url: service.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-token': 'bench' },
    body: JSON.stringify({ query: scenario.query }),
    connections,
    duration,
    ...(scenario.tokenPerOperation && {
      requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-auth-token': `bench-${(operation += 1)}` } }) }],
    }),
  });
  const operations = result.requests.total;
  console.log(scenario.name);
  console.log(`  ${result.requests.average.toFixed(0)} operations/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  // Operations cut off when the run ends have made calls but are not counted: hence slightly above a whole number.
  console.log(`  ${operations} operations, ${result.non2xx} non-2xx, ${result.errors} errors, upstream calls per operation ${(sandbox.requests.length / operations).toFixed(2)}\n`);
  await service.close();
}
await sandbox.close();
