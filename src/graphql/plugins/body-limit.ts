import type { Plugin } from 'graphql-yoga';
import { badRequest, requestTooLarge } from '../errors.js';

/**
 * The request body limit (`MAX_BODY_BYTES`), as Yoga's `maxRequestBodySize` enforces it but cheaper for the
 * common case: a body with a `Content-Length` cannot be longer than it says (Node's HTTP parser stops there),
 * so that number is checked and the body read as it is; only a body without one (chunked) is counted as it
 * streams in. Yoga counts every body through a TransformStream.
 */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        // One non-negative integer only: several values (a smuggling attempt) or garbage are refused.
        if (!/^\d+$/.test(length)) throw badRequest('Content-Length header is invalid.');
        if (Number(length) > maxBytes) throw requestTooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((original) => {
        let read = 0;
        // Yoga's own parsers want the ponyfill's stream unless the body is a native one (graphql-yoga#4583).
        const Transform = original.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
        const counted = original.body!.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.byteLength;
              if (read > maxBytes) controller.error(requestTooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return requestParser(new fetchAPI.Request(original.url, { method: original.method, headers: original.headers, signal: original.signal, body: counted, duplex: 'half' } as RequestInit));
      });
    },
  };
}
