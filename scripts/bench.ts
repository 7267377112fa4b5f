/**
 * Throughput and latency of the service over real HTTP on loopback, with the sandbox as the upstream.
 * Prints figures; asserts nothing (timings belong here, not in tests).
 * Usage: npm run bench [-- --duration 10 --connections 20]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { connectLegacyApi } from '../src/legacy/connect.js';
import { DOCUMENTED_IMAGE, type SampleImage } from '../src/sandbox/samples.js';
import { startSandbox } from '../src/sandbox/server.js';

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
const config = defaultConfig();
const { client, pool } = connectLegacyApi(sandbox.url, config.upstream);
const app = createApp({ client, limits: config.limits, tokenRequired: false, logger: pino({ level: 'silent' }) });
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

const scenarios = {
  'one image, typed fields + metadata': `{ image(projectId: "${PROJECT}", id: "${images[0]!.imageId}") { id osType osBit platform metadata { key value } } }`,
  '20 images in one operation': `{ images(projectId: "${PROJECT}", ids: ${JSON.stringify(images.map((image) => image.imageId))}) { id osType osBit platform metadata { key value } } }`,
};

console.log(`node ${process.version}, ${connections} connections, ${duration}s per scenario\n`);
for (const [name, query] of Object.entries(scenarios)) {
  sandbox.requests.length = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    connections,
    duration,
  });
  const operations = result.requests.total;
  console.log(name);
  console.log(`  ${result.requests.average.toFixed(0)} operations/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  console.log(`  ${operations} operations, ${result.non2xx} non-2xx, ${result.errors} errors, upstream calls per operation ${(sandbox.requests.length / operations).toFixed(2)}\n`);
}

server.close();
await pool.close();
await sandbox.close();
