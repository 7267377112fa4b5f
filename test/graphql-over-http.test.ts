import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../src/sandbox/samples.js';
import { startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
let server: Server;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  server = createServer(stack.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
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
      expect([(await send('{nope', accept)).status, codeOf(await send('{nope', accept))]).toEqual([400, ['BAD_REQUEST']]);
      expect(codeOf(await send(JSON.stringify({ query: '{ __typename }', operationName: {} }), accept))).toEqual(['BAD_REQUEST']);
      const get = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept } });
      expect(get.status).toBe(403);
    }
  });
});
