import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../scripts/supergraph.js';
import { loadConfig } from '../../src/config/index.js';
import { serverUrl, startServersSubgraph } from '../../examples/servers-subgraph/subgraph.js';
import type { App } from '../../src/graphql/app.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startGateway } from '../helpers/gateway.js';
import { serve } from '../helpers/net.js';
import { appFor } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const LINK = '<https://support.huaweicloud.com/api-ims/ims_03_0709.html>; rel="deprecation"; type="text/html"';
/** 2017-02-22T00:00:00Z, the default LEGACY_DEPRECATION_DATE. */
const DEPRECATED_AT = '@1487721600';
const NONE = { deprecation: null, link: null, sunset: null };
const image = (selection: string, id = DOC) => `image(projectId: "${P}", id: "${id}") { ${selection} }`;

let sandbox: Sandbox;
/** The default notice: a deprecation date, no sunset. */
let service: Deployed;
/** LEGACY_DEPRECATION_DATE=2024-03-31 and LEGACY_SUNSET_DATE=2027-06-30. */
let withSunset: Deployed;

interface Deployed {
  readonly url: string;
  close(): Promise<void>;
}

/** The app with `env`'s deprecation settings, read as the service reads them, on a loopback port. */
async function deploy(env: NodeJS.ProcessEnv, wrap: (app: App) => RequestListener = (app) => app): Promise<Deployed> {
  const testApp = await appFor(sandbox.url, {
    backend: { deprecation: loadConfig(env).backend.deprecation },
    server: { corsOrigins: ['https://console.example.com'] },
  });
  const server = await serve(wrap(testApp.app));
  return {
    url: `${server.origin}/graphql`,
    async close() {
      await server.close();
      await testApp.close();
    },
  };
}

interface Asked {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

/** Sends an operation over HTTP (POST, or GET) and returns the status, the body and the three headers. */
async function ask(url: string, { query, operationName, variables }: Asked, options: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}) {
  const response =
    options.method === 'GET'
      ? await fetch(`${url}?${new URLSearchParams({ query, ...(operationName && { operationName }) })}`, { headers: { 'x-graphql-yoga-csrf': '1', ...options.headers } })
      : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify({ query, operationName, variables }) });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: Record<string, unknown> }> };
  const headers = { deprecation: response.headers.get('deprecation'), link: response.headers.get('link'), sunset: response.headers.get('sunset') };
  return { status: response.status, body, headers, response };
}

/** Serves `app` with one more Link on every response, of another relation: what a subgraph might also send. */
function withAnotherLink(app: App) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = await app.fetch(`http://127.0.0.1${request.url}`, {
      method: request.method ?? 'GET',
      headers: Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : [])),
      ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
    });
    const headers = new Headers(answer.headers);
    headers.append('link', '<https://example.com/terms>; rel="terms-of-service"');
    response.writeHead(answer.status, Object.fromEntries(headers));
    response.end(Buffer.from(await answer.arrayBuffer()));
  };
}

const headersOf = async (url: string, asked: Asked, options?: Parameters<typeof ask>[2]) => (await ask(url, asked, options)).headers;

beforeAll(async () => {
  sandbox = await startSandbox();
  service = await deploy({});
  withSunset = await deploy({ LEGACY_DEPRECATION_DATE: '2024-03-31', LEGACY_SUNSET_DATE: '2027-06-30' });
});

afterAll(async () => {
  await service?.close();
  await withSunset?.close();
  await sandbox?.close();
});

describe('Deprecation, Link and Sunset headers', () => {
  it('are sent when the operation selects a deprecated field: Deprecation and the IMS link, no Sunset by default', async () => {
    const { status, body, headers } = await ask(service.url, { query: `{ ${image('id osType')} }` });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { image: { id: DOC, osType: 'LINUX' } } });
    expect(headers).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: null });
  });

  it('are not sent when the operation selects no deprecated field', async () => {
    // virtualEnvType reads a key without `__`: not deprecated.
    expect(await headersOf(service.url, { query: `{ ${image('id projectId virtualEnvType metadata { key value }')} }` })).toEqual(NONE);
    expect(await headersOf(service.url, { query: '{ __typename }' })).toEqual(NONE);
  });

  it('carry the configured dates: LEGACY_DEPRECATION_DATE as unix seconds, LEGACY_SUNSET_DATE as an HTTP-date', async () => {
    expect(await headersOf(withSunset.url, { query: `{ ${image('osBit')} }` })).toEqual({ deprecation: '@1711843200', link: LINK, sunset: 'Wed, 30 Jun 2027 00:00:00 GMT' });
    expect(await headersOf(withSunset.url, { query: `{ ${image('id')} }` })).toEqual(NONE);
  });

  it('count only the operation that runs, with the fragments it spreads', async () => {
    const document = `
      query Legacy { ${image('...Legacy')} }
      query Modern { ${image('...Modern')} }
      fragment Legacy on Image { id ...Deeper }
      fragment Deeper on Image { platform }
      fragment Modern on Image { id virtualEnvType }
    `;
    expect(await headersOf(service.url, { query: document, operationName: 'Legacy' })).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: null });
    expect(await headersOf(service.url, { query: document, operationName: 'Modern' })).toEqual(NONE);
    // The same document again, now cached per document: each operation still decides for itself.
    expect(await headersOf(service.url, { query: document, operationName: 'Modern' }, { method: 'GET' })).toEqual(NONE);
    expect(await headersOf(service.url, { query: document, operationName: 'Legacy' }, { method: 'GET' })).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: null });
  });

  it('count deprecated fields selected through _entities, as a gateway asks for them', async () => {
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { id osType } } }';
    const { body, headers } = await ask(service.url, { query, variables: { r: [{ __typename: 'Image', projectId: P, id: DOC }] } });
    expect(body).toEqual({ data: { _entities: [{ id: DOC, osType: 'LINUX' }] } });
    expect(headers).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: null });
  });

  it('are sent when the operation ran, even if the image failed', async () => {
    const { body, headers } = await ask(service.url, { query: `{ ${image('osType', FAULTS.unavailable.imageId)} }` });
    expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(headers).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: null });
  });

  it('are not sent for a request refused before it ran', async () => {
    const refused = async (asked: Asked, code: string) => {
      const { body, headers } = await ask(withSunset.url, asked);
      expect(body.data).toBeUndefined();
      expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual([code]);
      expect(headers).toEqual(NONE);
    };
    await refused({ query: `{ ${image('osType nope')} }` }, 'GRAPHQL_VALIDATION_FAILED');
    await refused({ query: `{ ${image('osType')}` }, 'GRAPHQL_PARSE_FAILED');
    await refused({ query: `query Legacy { ${image('osType')} }`, operationName: 'Other' }, 'OPERATION_RESOLUTION_FAILURE');
    // Refused by the operation budget, after validation and before any resolver.
    await refused({ query: `{ ${image('a: osType b: osType')} }` }, 'OPERATION_TOO_LARGE');
  });

  it('are not sent for introspection of the deprecated fields', async () => {
    const { body, headers } = await ask(service.url, { query: '{ __type(name: "Image") { fields(includeDeprecated: true) { name isDeprecated } } }' });
    expect((body.data?.['__type'] as { fields: Array<{ isDeprecated: boolean }> }).fields.filter((field) => field.isDeprecated)).toHaveLength(41);
    expect(headers).toEqual(NONE);
  });

  it('may be read by browser pages on an allowed origin', async () => {
    const { headers, response } = await ask(withSunset.url, { query: `{ ${image('osType')} }` }, { headers: { origin: 'https://console.example.com' } });
    expect(headers.deprecation).toBe('@1711843200');
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id, deprecation, link, sunset');
  });
});

describe('through Hive Gateway (federation/gateway.config.ts)', () => {
  it('reach the client, each once, with Sunset, and no other Link of the subgraph', async () => {
    // The subgraph with a Sunset date, and a Link of another relation the gateway must not pass on.
    const images = await deploy({ LEGACY_SUNSET_DATE: '2027-06-30' }, withAnotherLink);
    const servers = await startServersSubgraph(0, '127.0.0.1');
    const gateway = await startGateway(composeSupergraph({ images: images.url, servers: serverUrl(servers) }));
    try {
      // Two calls to the images subgraph (the root field, then _entities for the servers), both deprecated.
      const both = await ask(gateway.url, { query: `{ ${image('osType')} servers { image { osBit } } }` });
      expect(both.body.errors).toBeUndefined();
      expect(both.headers).toEqual({ deprecation: DEPRECATED_AT, link: LINK, sunset: 'Wed, 30 Jun 2027 00:00:00 GMT' });
      // Only the second call selects a deprecated field.
      expect(await headersOf(gateway.url, { query: `{ ${image('id')} servers { image { platform } } }` })).toEqual({
        deprecation: DEPRECATED_AT,
        link: LINK,
        sunset: 'Wed, 30 Jun 2027 00:00:00 GMT',
      });
      expect(await headersOf(gateway.url, { query: `{ ${image('id')} servers { name image { metadata { key } } } }` })).toEqual(NONE);
    } finally {
      await gateway.stop();
      await new Promise((resolve) => servers.close(resolve));
      await images.close();
    }
  }, 60_000);
});
