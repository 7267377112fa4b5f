import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';
import { preferredEncoding, type Encoding } from '../static-file.js';

/** A response smaller than this is sent as it is: compressing it would cost more CPU than the bytes are worth. */
export const COMPRESS_FROM_BYTES = 32 * 1024;

/** Fast settings, for a body made for one request: about the size of the defaults on JSON, at a fraction of the CPU. */
const COMPRESS: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  br: (body) => promisify(brotliCompress)(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength } }),
  gzip: (body) => promisify(gzip)(body, { level: 4 }),
};

/**
 * Brotli or gzip for the large responses, when the client accepts one: GraphiQL's introspection query (53 KB of
 * JSON on every open), a response of many images, /metrics. Small ones, which are most, are sent as they are and
 * cost no compression. Compression runs on the thread pool (zlib's async API). Last among the plugins, so that it
 * copies every header the others set; a response already compressed (GraphiQL's files) is left alone.
 */
export function useLargeResponseCompression(): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      const length = Number(response.headers.get('content-length'));
      if (!(length >= COMPRESS_FROM_BYTES) || response.headers.has('content-encoding') || !compressible(response.headers.get('content-type'))) return;
      // Whether it is compressed depends on this header: a cache must keep the two apart.
      response.headers.append('vary', 'Accept-Encoding');
      const encoding = preferredEncoding(request.headers.get('accept-encoding'), ['br', 'gzip']);
      if (!encoding) return;
      const body = await COMPRESS[encoding](Buffer.from(await response.arrayBuffer()));
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-encoding', encoding);
      headers.set('content-length', String(body.byteLength));
      // zlib's buffers are backed by a plain ArrayBuffer, never a shared one.
      setResponse(new fetchAPI.Response(body as Buffer<ArrayBuffer>, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}

/** JSON (GraphQL responses, in either media type) and text (/metrics): what compresses well. */
function compressible(contentType: string | null): boolean {
  return contentType !== null && /^(application\/(graphql-response\+)?json|text\/plain)/i.test(contentType);
}
