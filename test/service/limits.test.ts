import { describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { withStack, type AppOptions, type Stack } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const image = (alias: string, selection = 'id') => `${alias}: image(projectId: "${P}", id: "${DOC}") { ${selection} }`;

async function post(stack: Stack, body: unknown, headers: Record<string, string> = {}) {
  const response = await stack.app.fetch('http://localhost/graphql', {
    method: 'POST',
    // What GraphiQL and current clients accept first: a refused request is then a 4xx.
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

const refused = (message: string, code = 'BAD_USER_INPUT') => ({ errors: [expect.objectContaining({ message, extensions: expect.objectContaining({ code }) })] });

describe('limits for a public API (GraphQL Armor), each tripped before any upstream call', () => {
  const limits: AppOptions['limits'] = { maxDepth: 3, maxAliases: 2, maxTokens: 80, maxCost: 40, maxDirectives: 2 };

  it.each([
    ['depth', `{ image(projectId: "${P}", id: "${DOC}") { metadata { key } } }`, `{ _entities(representations: []) { ... on Image { metadata { key } } } }`, 'Syntax Error: Query depth limit of 3 exceeded, found 4.'],
    ['aliases', `{ ${image('a')} ${image('b')} }`, `{ ${image('a')} ${image('b')} ${image('c')} }`, 'Syntax Error: Aliases limit of 2 exceeded, found 3.'],
    ['directives', '{ a: __typename @skip(if: false) b: __typename @include(if: true) }', '{ __typename @skip(if: false) @include(if: true) @skip(if: false) }', 'Syntax Error: Directives limit of 2 exceeded, found 3.'],
  ])('%s', async (_name, allowed, tooMuch, message) => {
    await withStack({ limits: limits }, async (stack) => {
      expect((await post(stack, { query: allowed })).status).toBe(200);
      stack.sandbox.requests.length = 0;
      const { status, body } = await post(stack, { query: tooMuch });
      expect(status).toBe(400);
      expect(body).toEqual(refused(message));
      expect(stack.sandbox.requests).toEqual([]);
    });
  });

  it('tokens', async () => {
    await withStack({ limits: limits }, async (stack) => {
      const { status, body } = await post(stack, { query: `{ ${Array.from({ length: 30 }, (_, n) => `f${n}: __typename`).join(' ')} }` });
      expect(status).toBe(400);
      expect(body).toEqual(refused('Syntax Error: Token limit of 80 exceeded.', 'GRAPHQL_PARSE_FAILED'));
    });
  });

  it('cost', async () => {
    await withStack({ limits: { ...limits, maxCost: 20 } }, async (stack) => {
      const fields = 'id osType osBit platform osVersion imageType isRegistered imageSourceType imageLocation imageSize description supportKvm supportXen supportArm';
      const { status, body } = await post(stack, { query: `{ ${image('a', `${fields} metadata { key value }`)} }` });
      expect(status).toBe(400);
      expect(body).toEqual(refused("Syntax Error: Query Cost limit of 20 exceeded, found 30.5."));
      expect(stack.sandbox.requests).toEqual([]);
    });
  });

  it('a query named __schema gets no pass on the depth limit', async () => {
    await withStack({ limits: limits }, async (stack) => {
      const { status, body } = await post(stack, { query: 'query __schema { _entities(representations: []) { ... on Image { metadata { key } } } }' });
      expect(status).toBe(400);
      expect(body).toEqual(refused('Syntax Error: Query depth limit of 3 exceeded, found 4.'));
      expect(stack.sandbox.requests).toEqual([]);
    });
  });

  it('defaults leave room for real queries: every typed field, metadata, a full images list', async () => {
    await withStack({}, async (stack) => {
      const ids = Array.from({ length: 100 }, (_, n) => `"00000000-0000-4000-8000-${String(n).padStart(12, '0')}"`).join(', ');
      const { status } = await post(stack, { query: `{ images(projectId: "${P}", ids: [${ids}]) { id osType osBit platform osVersion imageType metadata { key value } } }` });
      expect(status).toBe(200);
    });
  });
});

describe('the HTTP surface', () => {
  it('refuses a body over MAX_BODY_BYTES with 413, announced or chunked', async () => {
    await withStack({ server: { maxBodyBytes: 2048 } }, async (stack) => {
      const big = { query: '{ __typename }', variables: { pad: 'x'.repeat(4000) } };
      expect(await post(stack, big)).toMatchObject({ status: 413, body: refused('Request body too large', 'REQUEST_ENTITY_TOO_LARGE') });
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify(big)));
          controller.close();
        },
      });
      const chunked = await stack.app.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
      expect((await post(stack, { query: '{ __typename }' })).status).toBe(200);
    });
  });

  it('refuses a Content-Length that is not one number (two values: a smuggling attempt) with 400, before reading the body', async () => {
    // Node's HTTP parser refuses these first; the app refuses them itself wherever it is served from (app.fetch here).
    await withStack({}, async (stack) => {
      const body = JSON.stringify({ query: '{ __typename }' });
      for (const length of [`${body.length}, ${body.length}`, 'lots']) {
        expect(await post(stack, body, { 'content-length': length })).toMatchObject({ status: 400, body: refused('Content-Length header is invalid.', 'BAD_REQUEST') });
      }
      expect((await post(stack, body, { 'content-length': String(body.length) })).status).toBe(200);
    });
  });

  it('prevents CSRF: a GET or a form-encoded POST needs a non-simple header', async () => {
    await withStack({}, async (stack) => {
      const get = await stack.app.fetch('http://localhost/graphql?query=%7B__typename%7D');
      expect(get.status).toBe(403);
      expect(await get.json()).toEqual(refused('Required CSRF header(s) not present', 'CSRF_PREVENTED'));
      const form = await stack.app.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(form.status).toBe(403);
      const withHeader = await stack.app.fetch('http://localhost/graphql?query=%7B__typename%7D', { headers: { 'x-graphql-yoga-csrf': '1' } });
      expect(withHeader.status).toBe(200);
    });
  });

  it('answers CORS only for the allowed origins', async () => {
    await withStack({ server: { corsOrigins: ['https://console.example.com'] } }, async (stack) => {
      const allowed = await post(stack, { query: '{ __typename }' }, { origin: 'https://console.example.com' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
      const other = await post(stack, { query: '{ __typename }' }, { origin: 'https://evil.example.net' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await stack.app.fetch('http://localhost/graphql', {
        method: 'OPTIONS',
        headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-auth-token' },
      });
      expect(preflight.headers.get('access-control-allow-headers')).toContain('x-auth-token');
    });
    await withStack({}, async (stack) => {
      const none = await post(stack, { query: '{ __typename }' }, { origin: 'https://console.example.com' });
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('GRAPHIQL=false serves no page', async () => {
    await withStack({ server: { graphiql: false } }, async (stack) => {
      const page = await stack.app.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      expect(await page.text()).not.toContain('<html');
    });
  });

  it('INTROSPECTION=false refuses introspection and hides field suggestions, while federation still works', async () => {
    await withStack({ server: { introspection: false } }, async (stack) => {
      const schema = await post(stack, { query: '{ __schema { types { name } } }' });
      expect(schema.status).toBe(400);
      expect(schema.body.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await post(stack, { query: `{ image(projectId: "${P}", id: "${DOC}") { osTyp } }` });
      expect(typo.status).toBe(400);
      expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean|osType/);
      expect((await post(stack, { query: '{ _service { sdl } }' })).status).toBe(200);
      expect((await post(stack, { query: '{ __typename }' })).status).toBe(200);
    });
  });

  it('trusted-documents mode runs persisted operations only', async () => {
    const documents = new Map([['sha256:doc-1', `query Persisted { image(projectId: "${P}", id: "${DOC}") { id osType } }`]]);
    await withStack({ trustedDocuments: documents }, async (stack) => {
      expect(await post(stack, { documentId: 'sha256:doc-1' })).toMatchObject({ status: 200, body: { data: { image: { id: DOC, osType: 'LINUX' } } } });
      expect(await post(stack, { extensions: { persistedQuery: { version: 1, sha256Hash: 'sha256:doc-1' } } })).toMatchObject({ status: 200 });
      const arbitrary = await post(stack, { query: `{ image(projectId: "${P}", id: "${DOC}") { id } }` });
      expect(arbitrary.status).toBe(400);
      expect(arbitrary.body.errors?.[0]?.message).toBe('PersistedQueryOnly');
      const unknown = await post(stack, { documentId: 'sha256:nope' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
      expect(stack.sandbox.requests).toHaveLength(2);
    });
  });
});
