import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESS_FROM_BYTES } from '../../src/graphql/plugins/compression.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const post = (query: string, acceptEncoding?: string) =>
  stack.app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(acceptEncoding && { 'accept-encoding': acceptEncoding }) },
    body: JSON.stringify({ query }),
  });

describe('large responses, compressed when the client accepts it', () => {
  it("GraphiQL's introspection query: brotli or gzip as preferred, the same JSON decompressed, Vary: Accept-Encoding", async () => {
    const plain = await post(getIntrospectionQuery());
    const text = await plain.text();
    expect(Buffer.byteLength(text)).toBeGreaterThan(COMPRESS_FROM_BYTES);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toContain('Accept-Encoding');
    for (const [accept, encoding, decompress] of [
      ['gzip, deflate, br', 'br', promisify(brotliDecompress)],
      ['gzip', 'gzip', promisify(gunzip)],
      ['br;q=0.5, gzip', 'gzip', promisify(gunzip)],
    ] as const) {
      const response = await post(getIntrospectionQuery(), accept);
      const body = Buffer.from(await response.arrayBuffer());
      expect([response.status, response.headers.get('content-encoding'), response.headers.get('content-length')]).toEqual([200, encoding, String(body.byteLength)]);
      expect(body.byteLength).toBeLessThan(Buffer.byteLength(text) / 5);
      expect((await decompress(body)).toString()).toBe(text);
    }
  });

  it('leaves a small response alone, whatever the client accepts: it costs no compression', async () => {
    const response = await post(`{ image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") { id } }`, 'br, gzip');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('vary') ?? '').not.toContain('Accept-Encoding');
    expect(await response.json()).toEqual({ data: { image: { id: DOCUMENTED_IMAGE.imageId } } });
  });

  it('compresses /metrics for a scraper that accepts it, once it is large', async () => {
    // Made large: operations of distinct names each add their series.
    for (let n = 0; n < 60; n += 1) await post(`query Named${n} { image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") { id osType } }`, 'identity');
    const response = await stack.app.fetch('http://localhost/metrics', { headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const text = (await promisify(gunzip)(Buffer.from(await response.arrayBuffer()))).toString();
    expect(text).toContain('# TYPE graphql_execution_total counter');
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(COMPRESS_FROM_BYTES);
    // And as it is for a scraper that does not say it accepts gzip.
    const plain = await stack.app.fetch('http://localhost/metrics');
    expect(plain.headers.get('content-encoding')).toBeNull();
  });
});
