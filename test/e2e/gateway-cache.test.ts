import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../scripts/supergraph.js';
import { serverUrl, startServersSubgraph } from '../../examples/servers-subgraph/subgraph.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { callerFingerprint, startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { appFor, type AppOptions, type TestApp } from '../helpers/stack.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const KEY = { accessKey: 'HPUAEXAMPLEAK000001', secretKey: 'a-service-secret-key' };
const HTTP_CACHE_CONFIG = 'test/fixtures/gateway-http-cache.config.ts';

/** This service as a subgraph on a loopback port, counting the operations it is sent; and Hive Gateway with its HTTP cache in front. */
interface Federated {
  readonly sandbox: Sandbox;
  readonly images: TestApp;
  readonly gateway: RunningGateway;
  /** Operations the subgraph received. */
  received: number;
  close(): Promise<void>;
}

async function federate(options: AppOptions, sandbox: Sandbox): Promise<Federated> {
  const images = await appFor(sandbox.url, { cache: { ttlMs: 60_000 }, ...options });
  const federated = { sandbox, images, received: 0 } as Federated;
  const imagesServer: Server = createServer((request, response) => {
    if (request.method === 'POST') federated.received += 1;
    void images.app(request, response);
  });
  await new Promise<void>((resolve) => imagesServer.listen(0, '127.0.0.1', resolve));
  const servers = await startServersSubgraph(0, '127.0.0.1');
  const gateway = await startGateway(composeSupergraph({ images: `http://127.0.0.1:${(imagesServer.address() as AddressInfo).port}/graphql`, servers: serverUrl(servers) }), HTTP_CACHE_CONFIG);
  return Object.assign(federated, {
    gateway,
    async close() {
      await gateway.stop();
      await new Promise((resolve) => servers.close(resolve));
      await new Promise((resolve) => imagesServer.close(resolve));
      await images.close();
      await sandbox.close();
    },
  });
}

async function ask(federated: Federated, query: string, token: string) {
  const response = await fetch(federated.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': token }, body: JSON.stringify({ query }) });
  return (await response.json()) as { data?: Record<string, { metadata?: Array<{ key: string; value: string }> } | null>; errors?: unknown[] };
}

const query = `{ image(projectId: "${P}", id: "${DOC}") { id metadata { key value } } }`;
const callerIn = (body: Awaited<ReturnType<typeof ask>>) => body.data?.['image']?.metadata?.find((entry) => entry.key === 'sandbox_caller')?.value;

describe("Hive Gateway's HTTP cache, by this service's Cache-Control", () => {
  let passthrough: Federated;
  let service: Federated;
  beforeAll(async () => {
    [passthrough, service] = await Promise.all([
      startSandbox({ identifyCaller: true }).then((sandbox) => federate({}, sandbox)),
      startSandbox({ accessKeys: [KEY] }).then((sandbox) =>
        federate({ callers: { auth: { mode: 'service', ...KEY, securityToken: undefined, allowedProjectIds: new Set([P]), callers: { kind: 'network' } } } }, sandbox),
      ),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([passthrough?.close(), service?.close()]);
  });

  it("never serves one caller's answer to another token: passthrough answers are private, so every request reaches the subgraph", async () => {
    const answers = [];
    for (const token of ['token-alice', 'token-bob', 'token-alice', 'token-bob']) answers.push(callerIn(await ask(passthrough, query, token)));
    expect(answers).toEqual(['token-alice', 'token-bob', 'token-alice', 'token-bob'].map(callerFingerprint));
    expect(passthrough.received).toBe(4);
    // The subgraph's own cache still saves the upstream calls, per token.
    expect(passthrough.sandbox.requests.map((request) => request.headers['x-auth-token'])).toEqual(['token-alice', 'token-bob']);
  });

  it('shares what it may: a public answer (service mode) is served again from the gateway without reaching the subgraph', async () => {
    const first = await ask(service, query, 'anyone');
    const second = await ask(service, query, 'anyone-else');
    expect(second).toEqual(first);
    expect(first.data?.['image']?.metadata).toEqual(DOCUMENTED_IMAGE.metadata.map(([key, value]) => ({ key, value })));
    expect(service.received).toBe(1);
    expect(service.sandbox.requests).toHaveLength(1);
  });

  it('keeps nothing that has an error', async () => {
    // A good image beside the failing one: without its error, this answer could be kept.
    const failing = `{ good: image(projectId: "${P}", id: "${DOC}") { id } bad: image(projectId: "${P}", id: "${FAULTS.unavailable.imageId}") { id } }`;
    const before = service.received;
    expect((await ask(service, failing, 'anyone')).errors).toHaveLength(1);
    expect((await ask(service, failing, 'anyone')).errors).toHaveLength(1);
    expect(service.received - before).toBe(2);
  });
});
