import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** The content codings offered, in the order preferred when a client accepts several equally. */
const ENCODINGS = ['br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/**
 * A file held in memory and served as it is: its body is compressed once, when the file is made, never per
 * request, and every representation (identity, br, gzip) has a strong ETag of its own (RFC 9110 §8.8.3: a
 * strong validator differs between content codings).
 */
export interface StaticFile {
  readonly type: string;
  /** Hex, 16 digits of the body's SHA-256: the name of a content-addressed file, and its ETags. */
  readonly hash: string;
  /** The body as it is, and compressed with each coding that makes it smaller. */
  readonly bodies: { readonly identity: Uint8Array<ArrayBuffer> } & { readonly [E in Encoding]?: Uint8Array<ArrayBuffer> };
}

/** Types whose bodies compress; fonts in WOFF/WOFF2 and PNG images are compressed already. */
const COMPRESSIBLE = /^(?:text\/|application\/(?:json|javascript)|image\/(?:svg\+xml|x-icon|vnd\.microsoft\.icon)|font\/(?:ttf|otf))/;

export function contentHash(body: Uint8Array<ArrayBuffer>): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/**
 * Makes a file of `content`, compressed with brotli and gzip. Brotli at quality 5, not 11: for GraphiQL's 5 MB
 * script, 11 takes 11 s of CPU, 9 one second, 5 a third of one, for 1.12, 1.24 and 1.29 MB; a build the first
 * visitor waits for should be quick. (gzip's level 9 saves 0.3% over its default 6, in 50% more time.) The work
 * runs on libuv's thread pool, one file at a time (the caller awaits each), so the event loop keeps a core for
 * the GraphQL traffic.
 */
export async function staticFile(type: string, content: string | Uint8Array<ArrayBuffer>): Promise<StaticFile> {
  const identity = typeof content === 'string' ? Buffer.from(content) : content;
  const bodies: { identity: Uint8Array<ArrayBuffer> } & { [E in Encoding]?: Uint8Array<ArrayBuffer> } = { identity };
  if (COMPRESSIBLE.test(type)) {
    const br = await brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.byteLength } });
    const gz = await gzipped(identity);
    if (br.byteLength < identity.byteLength) bodies.br = br;
    if (gz.byteLength < identity.byteLength) bodies.gzip = gz;
  }
  return { type, hash: contentHash(identity), bodies };
}

/**
 * The response to a GET or HEAD of `file`: compressed as the request's Accept-Encoding allows, 304 when its
 * If-None-Match names the representation it would get. `headers` are added to both (RFC 9110 §15.4.5: a 304
 * carries the Cache-Control, ETag and Vary the 200 would). `Response` is the server's (Yoga's `fetchAPI`),
 * which writes a byte body to the socket as it is.
 */
export function serveStatic(file: StaticFile, request: Request, headers: Readonly<Record<string, string>>, Response: typeof globalThis.Response): Response {
  const encoding = negotiate(request.headers.get('accept-encoding'), file);
  const body = encoding ? file.bodies[encoding]! : file.bodies.identity;
  const etag = `"${file.hash}${encoding ? `-${encoding}` : ''}"`;
  const common = { ...headers, etag, vary: varyWith(headers['vary'], 'Accept-Encoding') };
  if (matches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers: common });
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: { ...common, 'content-type': file.type, 'content-length': String(body.byteLength), ...(encoding && { 'content-encoding': encoding }) },
  });
}

/** The coding to send: of those `file` has, the one the client prefers (see {@link preferredEncoding}). */
export function negotiate(acceptEncoding: string | null, file: StaticFile): Encoding | undefined {
  return preferredEncoding(acceptEncoding, ENCODINGS.filter((encoding) => file.bodies[encoding]));
}

/**
 * Of the codings `offered`, the one the client gives the highest q-value (RFC 9110 §12.5.3), `*` standing for
 * any it does not name; undefined for the body as it is.
 */
export function preferredEncoding(acceptEncoding: string | null, offered: readonly Encoding[]): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    weights.set(name, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  let chosen: Encoding | undefined;
  let best = 0;
  for (const encoding of offered) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > best) [chosen, best] = [encoding, weight];
  }
  return chosen;
}

/** If-None-Match's weak comparison (RFC 9110 §13.1.2): `*`, or a listed tag equal to `etag` but for a `W/`. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

function varyWith(vary: string | undefined, name: string): string {
  return vary ? `${vary}, ${name}` : name;
}
