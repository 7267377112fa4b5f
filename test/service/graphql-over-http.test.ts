import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/graphql/error-codes.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { serve, type Served } from '../helpers/net.js';
import { startStack, withStack, type AppOptions, type Stack } from '../helpers/stack.js';

let stack: Stack;
let server: Served;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  server = await serve(stack.app);
  url = `${server.origin}/graphql`;
});
afterAll(async () => {
  await server.close();
  await stack.close();
});

/** fetch with the CSRF-prevention header, which every GET (and any POST that is not JSON) must carry. */
const fetchWithCsrfHeader: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('x-graphql-yoga-csrf', '1');
  return fetch(input, { ...init, headers });
};

describe("GraphQL over HTTP: graphql-http's server audits, over real HTTP", () => {
  it('passes every MUST and SHOULD: no audit warns or fails', async () => {
    const results = await Promise.all(serverAudits({ url, fetchFn: fetchWithCsrfHeader }).map((audit) => audit.fn()));
    expect(results.length).toBeGreaterThan(50);
    const failing = results.flatMap((result) => (result.status === 'warn' || result.status === 'error' ? [{ name: result.name, status: result.status, reason: result.reason }] : []));
    expect(failing).toEqual([]);
  });
});

describe('the status of a request refused before it runs', () => {
  const send = async (body: string, accept: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...headers }, body });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as { errors: Array<{ extensions: { code: string } }> } };
  };
  const codeOf = (answer: Awaited<ReturnType<typeof send>>) => answer.body.errors.map((error) => error.extensions.code);

  it.each([
    ['a syntax error', '{ image(', 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', '{ nope }', 'GRAPHQL_VALIDATION_FAILED'],
    ['a mutation', 'mutation { nope }', 'GRAPHQL_VALIDATION_FAILED'],
    ['too many image results', `query ($ids: [ID!]!) { a: images(projectId: "${DOCUMENTED_IMAGE.projectId}", ids: $ids) { id } b: images(projectId: "${DOCUMENTED_IMAGE.projectId}", ids: $ids) { id } c: images(projectId: "${DOCUMENTED_IMAGE.projectId}", ids: $ids) { id } }`, 'OPERATION_TOO_LARGE'],
  ])('%s: 200 with application/json, 400 with application/graphql-response+json', async (_name, query, code) => {
    const body = JSON.stringify({ query, variables: { ids: Array(100).fill(DOCUMENTED_IMAGE.imageId) } });
    const json = await send(body, 'application/json');
    const graphqlResponse = await send(body, 'application/graphql-response+json');
    expect([json.status, json.type, codeOf(json)]).toEqual([200, 'application/json; charset=utf-8', [code]]);
    expect([graphqlResponse.status, graphqlResponse.type, codeOf(graphqlResponse)]).toEqual([400, 'application/graphql-response+json; charset=utf-8', [code]]);
  });

  it('a request that is not GraphQL keeps its 4xx whatever the client accepts', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const notJson = await send('{nope', accept);
      expect([notJson.status, codeOf(notJson)]).toEqual([400, ['BAD_REQUEST']]);
      expect(codeOf(await send(JSON.stringify({ query: '{ __typename }', operationName: {} }), accept))).toEqual(['BAD_REQUEST']);
      const get = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept } });
      expect(get.status).toBe(403);
    }
  });
});

describe('every request error code of src/graphql/error-codes.ts, as a client gets it', () => {
  const P = DOCUMENTED_IMAGE.projectId;
  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = (params: string) => ({ path: `/graphql?${params}`, method: 'GET', headers: { 'x-graphql-yoga-csrf': '1' } });
  const provocations: Array<{ code: ErrorCode; options?: AppOptions; request: { path?: string; method: string; headers: Record<string, string>; body?: string } }> = [
    { code: 'BAD_USER_INPUT', request: json({ query: 'query ($p: ID!) { image(projectId: $p, id: "x") { id } }', variables: { p: {} } }) },
    { code: 'BAD_USER_INPUT', request: json({ query: `{ ${Array.from({ length: 21 }, (_, n) => `a${n}: image(projectId: "${P}", id: "${DOCUMENTED_IMAGE.imageId}") { id }`).join(' ')} }` }) },
    { code: 'OPERATION_TOO_LARGE', request: json({ query: `query ($ids: [ID!]!) { a: images(projectId: "${P}", ids: $ids) { id } b: images(projectId: "${P}", ids: $ids) { id } c: images(projectId: "${P}", ids: $ids) { id } }`, variables: { ids: Array(100).fill(DOCUMENTED_IMAGE.imageId) } }) },
    { code: 'GRAPHQL_PARSE_FAILED', request: json({ query: '{ image(' }) },
    { code: 'GRAPHQL_VALIDATION_FAILED', request: json({ query: '{ nope }' }) },
    { code: 'GRAPHQL_VALIDATION_FAILED', request: json({ query: 'mutation { nope }' }) },
    { code: 'OPERATION_RESOLUTION_FAILURE', request: json({ query: 'query A { __typename } query B { __typename }' }) },
    { code: 'BAD_REQUEST', request: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' } },
    { code: 'BAD_REQUEST', request: get(`query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent('{bad')}`) },
    { code: 'BAD_REQUEST', request: json({ query: '{ __typename }', operationName: {} }) },
    { code: 'REQUEST_ENTITY_TOO_LARGE', options: { server: { maxBodyBytes: 1024 } }, request: json({ query: '{ __typename }', variables: { pad: 'x'.repeat(2000) } }) },
    { code: 'CSRF_PREVENTED', request: { path: `/graphql?query=${encodeURIComponent('{ __typename }')}`, method: 'GET', headers: {} } },
    { code: 'CSRF_PREVENTED', request: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) } },
    { code: 'PERSISTED_QUERY_NOT_IN_LIST', options: { trustedDocuments: new Map([['d', '{ __typename }']]) }, request: json({ documentId: 'nope' }) },
    { code: 'PERSISTED_QUERY_ID_REQUIRED', options: { trustedDocuments: new Map([['d', '{ __typename }']]) }, request: json({}) },
    { code: 'CANNOT_SEND_PQ_ID_AND_BODY', options: { trustedDocuments: new Map([['d', '{ __typename }']]) }, request: json({ query: '{ __typename }' }) },
  ];

  it('provokes each one', () => {
    const listed = Object.entries(ERROR_CODES).flatMap(([code, meaning]) => ('request' in meaning ? [code] : []));
    expect([...new Set(provocations.map((provocation) => provocation.code))].sort()).toEqual(listed.sort());
  });

  it.each(provocations.map((provocation) => [provocation.code, provocation] as const))('%s: the status the record gives, 200 with application/json unless not GraphQL', async (code, provocation) => {
    const meaning = ERROR_CODES[code] as { status: number; notGraphQL?: true };
    await withStack(provocation.options ?? {}, async (stack) => {
      for (const [accept, status] of [
        ['application/graphql-response+json', meaning.status],
        ['application/json', meaning.notGraphQL ? meaning.status : 200],
      ] as const) {
        const { path = '/graphql', method, headers, body } = provocation.request;
        const response = await stack.app.fetch(`http://localhost${path}`, { method, headers: { ...headers, accept }, ...(body !== undefined && { body }) });
        const answer = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
        expect({ status: response.status, codes: answer.errors.map((error) => error.extensions.code), data: answer.data }).toEqual({ status, codes: [code], data: undefined });
      }
      expect(stack.sandbox.requests).toEqual([]);
    });
  });

  it('BAD_REQUEST is a 405 for another method, or a mutation sent by GET', async () => {
    await withStack({}, async (stack) => {
      const put = await stack.app.fetch('http://localhost/graphql', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      const mutation = await stack.app.fetch(`http://localhost/graphql?query=${encodeURIComponent('mutation { nope }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
      for (const response of [put, mutation]) {
        expect(response.status).toBe(405);
        expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
      }
    });
  });
});
