import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph, COMPOSE_URLS, SUPERGRAPH_FILE } from '../../scripts/supergraph.js';
import { serverUrl, SERVERS, startServersSubgraph } from '../../examples/servers-subgraph/subgraph.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { printSchemaFile } from '../../src/graphql/schema/print.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { serve, type Served } from '../helpers/net.js';
import { appFor, metadataPath, type TestApp } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const UBUNTU = 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f';
const MISSING = '00000000-0000-4000-8000-000000000000';

let sandbox: Sandbox;
let images: TestApp;
let imagesServer: Served;
let servers: Server;
let gateway: RunningGateway;
let urls: { images: string; servers: string };

beforeAll(async () => {
  sandbox = await startSandbox();
  // As in production: callers must bring a token, which the gateway must pass on.
  images = await appFor(sandbox.url, { tokenRequired: true });
  imagesServer = await serve(images.app);
  servers = await startServersSubgraph(0, '127.0.0.1');
  urls = { images: `${imagesServer.origin}/graphql`, servers: serverUrl(servers) };
  gateway = await startGateway(composeSupergraph(urls));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => servers.close(resolve));
  await imagesServer?.close();
  await images.close();
  await sandbox.close();
});

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> } };
}

describe('the subgraph', () => {
  it('answers _service { sdl } with exactly schema.graphql: @link, @key and the deprecations', async () => {
    const { body } = await images.query('{ _service { sdl } }', { headers: { 'x-auth-token': 't' } });
    const sdl = (body.data?.['_service'] as { sdl: string }).sdl;
    expect(`${sdl}\n`).toBe(printSchemaFile());
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])');
    expect(sdl).toContain('type Image\n  @key(fields: "projectId id")');
  });

  it('resolves _entities through the loader: representation order, one call per distinct image, null for missing, errors only on failing entities', async () => {
    sandbox.requests.length = 0;
    const representations = [DOC, MISSING, DOC, UBUNTU, 'not-a-uuid', FAULTS.unauthorized.imageId, DOC].map((id) => ({ __typename: 'Image', projectId: P, id }));
    const { body } = await images.query('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { id osType } } }', {
      variables: { r: representations },
      headers: { 'x-auth-token': 't' },
    });
    expect(body.data).toEqual({
      _entities: [{ id: DOC, osType: 'LINUX' }, null, { id: DOC, osType: 'LINUX' }, { id: UBUNTU, osType: 'LINUX' }, null, null, { id: DOC, osType: 'LINUX' }],
    });
    expect(body.errors?.map(({ path, extensions }) => ({ path, code: extensions?.['code'] }))).toEqual([
      { path: ['_entities', 4], code: 'BAD_USER_INPUT' },
      { path: ['_entities', 5], code: 'UNAUTHENTICATED' },
    ]);
    expect(sandbox.requests.map((request) => request.path).sort()).toEqual(
      [metadataPath(P, DOC), metadataPath(P, MISSING), metadataPath(P, UBUNTU), metadataPath(P, FAULTS.unauthorized.imageId)].sort(),
    );
  });
});

describe('references that are missing or fail, through Hive Gateway', () => {
  it("tells them apart as docs/federation.md says: a failure carries the subgraph's serviceName and code, a missing image none", async () => {
    const failing = await startServersSubgraph(0, '127.0.0.1', [
      SERVERS[0]!,
      SERVERS[3]!, // its image does not exist
      { id: 'srv-f', name: 'failing', image: { projectId: P, id: FAULTS.unavailable.imageId } },
    ]);
    const local = await startGateway(composeSupergraph({ images: urls.images, servers: serverUrl(failing) }));
    try {
      for (const selection of ['metadata { key }', 'osType']) {
        const { body } = await post(local.url, `{ servers { image { id ${selection} } } }`, { 'x-auth-token': 't' });
        const fromImages = (index: number) =>
          (body.errors ?? []).filter((error) => JSON.stringify(error['path']).startsWith(JSON.stringify(['servers', index, 'image']).slice(0, -1)) && (error['extensions'] as Record<string, unknown>)['serviceName'] === 'images');
        expect(fromImages(0)).toEqual([]);
        expect(fromImages(1)).toEqual([]);
        expect(fromImages(2).map((error) => (error['extensions'] as Record<string, unknown>)['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
      }
    } finally {
      await local.stop();
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('composition', () => {
  it('keeps the demand-control directives', () => {
    const supergraph = composeSupergraph(urls);
    expect(supergraph).toContain('@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])');
    expect(supergraph).toContain('  ): Image @join__field(graph: IMAGES) @cost(weight: 10)\n');
    expect(supergraph).toContain('  ): [Image]! @join__field(graph: IMAGES) @cost(weight: 10) @listSize(assumedSize: 100)\n');
  });

  it('composes with the sample servers subgraph without errors, keeping every deprecation', () => {
    const supergraph = composeSupergraph(urls);
    expect(supergraph).toContain(`IMAGES @join__graph(name: "images", url: "${urls.images}")`);
    expect(supergraph).toContain('@join__type(graph: IMAGES, key: "projectId id")');
    expect(supergraph.match(/@deprecated\(/g)).toHaveLength(41);
  });

  it('federation/supergraph.graphql is what composition gives for docker-compose.yml (run `npm run supergraph`)', async () => {
    expect(await readFile(SUPERGRAPH_FILE, 'utf8')).toBe(composeSupergraph(COMPOSE_URLS));
  });
});

describe('through a real gateway (Hive Gateway)', () => {
  it("answers a query spanning both subgraphs, passing the caller's token on, one upstream call per distinct image", async () => {
    sandbox.requests.length = 0;
    const { status, body } = await post(gateway.url, '{ servers { name image { id osType osBit platform } } }', { 'x-auth-token': 'token-through-the-gateway' });
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        servers: [
          { name: 'api-1', image: { id: DOC, osType: 'LINUX', osBit: 64, platform: 'SUSE' } },
          { name: 'api-2', image: { id: DOC, osType: 'LINUX', osBit: 64, platform: 'SUSE' } },
          { name: 'batch-1', image: { id: UBUNTU, osType: 'LINUX', osBit: 64, platform: 'UBUNTU' } },
          { name: 'legacy-1', image: { id: SERVERS[3]!.image.id, osType: null, osBit: null, platform: null } },
          { name: 'win-1', image: { id: SERVERS[4]!.image.id, osType: 'WINDOWS', osBit: 64, platform: 'WINDOWS' } },
        ],
      },
    });
    const distinct = [...new Set(SERVERS.map((server) => metadataPath(server.image.projectId, server.image.id)))].sort();
    expect(distinct).toHaveLength(4);
    expect(sandbox.requests.map((request) => request.path).sort()).toEqual(distinct);
    expect(sandbox.requests.map((request) => request.headers['x-auth-token'])).toEqual(Array(4).fill('token-through-the-gateway'));
  });

  it('delivers metadata losslessly; an image that does not exist nulls the whole image, with an error', async () => {
    const { body } = await post(gateway.url, '{ servers { name image { metadata { key value } } } }', { 'x-auth-token': 't' });
    const byName = Object.fromEntries((body.data?.['servers'] as Array<{ name: string; image: unknown }>).map((server) => [server.name, server.image]));
    expect(byName['api-1']).toEqual({ metadata: DOCUMENTED_IMAGE.metadata.map(([key, value]) => ({ key, value })) });
    expect(byName['legacy-1']).toBeNull();
    expect(body.errors?.map((error) => error['path'])).toEqual([['servers', 3, 'image', 'metadata']]);
  });

  it('without a token, the images fail with UNAUTHENTICATED and ECS is never called', async () => {
    sandbox.requests.length = 0;
    const { body } = await post(gateway.url, '{ servers { name image { osType } } }');
    expect(body.errors?.map((error) => (error['extensions'] as Record<string, unknown>)['code'])).toEqual(Array(5).fill('UNAUTHENTICATED'));
    expect(sandbox.requests).toEqual([]);
  });

  it("answers the federated example of docs/federation.md exactly as the page shows", async () => {
    const page = await readFile(new URL('../../docs/federation.md', import.meta.url), 'utf8');
    const example = /Through the gateway, one query spans both subgraphs:\n\n```graphql\n([\s\S]+?)```\n\n```json\n([\s\S]+?)```/.exec(page);
    expect(example).not.toBeNull();
    const { body } = await post(gateway.url, example![1]!, { 'x-auth-token': 't' });
    expect(body).toEqual(JSON.parse(example![2]!));
  });

  it('sees the demand-control directives: an operation over maxCost is refused with the cost they give, before any call', async () => {
    sandbox.requests.length = 0;
    const imagesField = (alias: string) => `${alias}: images(projectId: "${P}", ids: ["${DOC}"]) { id osType }`;
    // Each field: @listSize(assumedSize: 100) × (@cost(weight: 10) + 1 for the Image); the subgraph alone would estimate 11.
    const refused = await post(gateway.url, `{ ${['a', 'b', 'c'].map(imagesField).join(' ')} }`, { 'x-auth-token': 't' });
    expect(refused.body.errors?.[0]).toMatchObject({
      message: 'Operation estimated cost 3300 exceeded configured maximum 2500',
      extensions: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 3300, max: 2500 } },
    });
    expect(sandbox.requests).toEqual([]);
    const allowed = await post(gateway.url, `{ ${['a', 'b'].map(imagesField).join(' ')} }`, { 'x-auth-token': 't' });
    expect(allowed.body).toEqual({ data: Object.fromEntries(['a', 'b'].map((alias) => [alias, [{ id: DOC, osType: 'LINUX' }]])) });
    expect(sandbox.requests).toHaveLength(1);
  });

  it('passes on the deprecation headers of the images subgraph when the query selects a deprecated field, and only then', async () => {
    const headersOf = async (query: string) => {
      const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': 't' }, body: JSON.stringify({ query }) });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      return { deprecation: response.headers.get('deprecation'), link: response.headers.get('link'), sunset: response.headers.get('sunset') };
    };
    expect(await headersOf('{ servers { name image { id osType } } }')).toEqual({
      deprecation: '@1487721600',
      link: '<https://support.huaweicloud.com/api-ims/ims_03_0709.html>; rel="deprecation"; type="text/html"',
      sunset: null,
    });
    const none = { deprecation: null, link: null, sunset: null };
    expect(await headersOf(`{ servers { name image { id virtualEnvType } } image(projectId: "${P}", id: "${DOC}") { metadata { key } } }`)).toEqual(none);
    expect(await headersOf('{ servers { name } }')).toEqual(none);
  });

  it('shows the @deprecated marks to clients of the supergraph', async () => {
    const { body } = await post(gateway.url, '{ __type(name: "Image") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }');
    const fields = (body.data?.['__type'] as { fields: Array<{ name: string; isDeprecated: boolean; deprecationReason: string | null }> }).fields;
    expect(fields.find((field) => field.name === 'osType')).toEqual({
      name: 'osType',
      isDeprecated: true,
      deprecationReason:
        'Legacy key `__os_type` of the deprecated ECS image metadata API. Migrate to IMS GET /v2/cloudimages?id={image_id}: read the top-level `__os_type` member of the image.',
    });
    expect(fields.filter((field) => field.isDeprecated)).toHaveLength(41);
  });
});
