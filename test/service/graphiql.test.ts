import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphql/app.js';
import { GRAPHIQL_CSP, useGraphiQLFiles } from '../../src/graphql/graphiql.js';
import { createSchema } from '../../src/graphql/schema/index.js';
import { startStack, type Stack } from '../helpers/stack.js';

// Every call to the compressors, passed through: the files must be compressed once, not per request.
const compressions = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof import('node:zlib')>();
  const counted =
    <F extends (...args: never[]) => unknown>(compress: F) =>
    (...args: Parameters<F>) => {
      compressions.count += 1;
      return compress(...args);
    };
  return { ...zlib, brotliCompress: counted(zlib.brotliCompress), gzip: counted(zlib.gzip) };
});

/** What Chromium sends. */
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The body and the headers as the app answers them, about what goes on the wire (Node adds Date and Connection). */
  bytes: number;
}

async function get(path: string, headers: Record<string, string> = {}, app: Pick<Stack['app'], 'fetch'> = stack.app): Promise<Answer> {
  const response = await app.fetch(`http://localhost${path}`, { headers });
  const body = new Uint8Array(await response.arrayBuffer());
  let headerBytes = `HTTP/1.1 ${response.status} \r\n\r\n`.length;
  response.headers.forEach((value, name) => (headerBytes += `${name}: ${value}\r\n`.length));
  return { status: response.status, headers: response.headers, body, bytes: body.byteLength + headerBytes };
}

const text = (answer: Answer) => new TextDecoder().decode(answer.body);
const openPage = (headers: Record<string, string> = {}) => get('/graphql', { accept: 'text/html', ...headers });

/** The page's files, and theirs in turn (the stylesheet's fonts, the start-up's workers), as a browser finds them. */
async function crawl(): Promise<Map<string, Answer>> {
  const found = new Map<string, Answer>();
  const queue = [...references(text(await openPage()), '/graphql')];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    if (found.has(path)) continue;
    const answer = await get(path);
    found.set(path, answer);
    if (/^text\//.test(answer.headers.get('content-type') ?? '')) queue.push(...references(text(answer), path));
  }
  return found;
}

/** `/graphiql/<name>.<hash>.<ext>`, named absolutely (page, start-up) or relative to the file (stylesheet). */
function references(source: string, base: string): string[] {
  const names = source.matchAll(/["(]((?:\/graphiql\/)?[\w-]+(?:\.[\w-]+)*\.[0-9a-f]{16}\.\w+)[")]/g);
  return [...names].map(([, name]) => new URL(name!, `http://localhost${base}`).pathname);
}

describe('GraphiQL at /graphql', () => {
  it('is served to browsers and opens with the example query, its options in a data block', async () => {
    const page = await openPage();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = text(page);
    expect(html).toContain('<title>ecs-image-graph</title>');
    const options = /<script type="application\/json" id="graphiql-options">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(options!)).toEqual({ title: 'ecs-image-graph', defaultQuery: EXAMPLE_QUERY });
  });

  it('has no inline script or style: scripts, styles, workers and fonts are files of its own', async () => {
    const html = text(await openPage());
    // Every <script> but the JSON data block has a src; no <style>, no style or event-handler attribute.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map(([, attributes]) => attributes!.trim());
    expect(scripts.filter((attributes) => !/\bsrc="\/graphiql\/[\w.-]+\.js"/.test(attributes))).toEqual(['type="application/json" id="graphiql-options"']);
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    const files = [...(await crawl()).keys()].map((path) => path.replace(/\.[0-9a-f]{16}\./, '.<hash>.'));
    expect(files).toEqual(
      expect.arrayContaining([
        '/graphiql/favicon.<hash>.ico',
        '/graphiql/graphiql.<hash>.css',
        '/graphiql/start.<hash>.js',
        '/graphiql/graphiql.<hash>.js',
        '/graphiql/editor.worker.<hash>.js',
        '/graphiql/json.worker.<hash>.js',
        '/graphiql/graphql.worker.<hash>.js',
        '/graphiql/font.<hash>.woff2',
        '/graphiql/font.<hash>.ttf',
      ]),
    );
  });

  it('loads nothing from another origin', async () => {
    const sources = [text(await openPage()), ...[...(await crawl()).values()].filter((file) => /^text\//.test(file.headers.get('content-type')!)).map(text)];
    // Anything the browser would fetch: src/href/action attributes, CSS url(), @import, dynamic import(),
    // importScripts(), with an absolute or protocol-relative URL.
    const fetchable = /(?:\b(?:src|href|action)\s*=\s*["']?|url\(\s*["']?|@import\s+["']|\bimport\(\s*["']|importScripts\(\s*["'])\s*(?:https?:)?\/\//gi;
    for (const source of sources) {
      expect(source.match(fetchable)).toBeNull();
      // The CDNs Yoga's default page and common bundles load from.
      expect(source).not.toMatch(/unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|esm\.sh|googleapis\.com/);
    }
    // The stylesheet's fonts and images are files: the policy's font-src needs no data:.
    const css = sources.find((source) => source.includes('@font-face'));
    expect(css).toBeDefined();
    expect(css).not.toContain('data:');
  });

  it('runs its own example query against the sandbox', async () => {
    const { body } = await stack.query(EXAMPLE_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data?.['image']).toMatchObject({ id: '17a1890b-0fa4-485e-8505-14e294017988', osType: 'LINUX', osBit: 64, platform: 'SUSE' });
    expect(EXAMPLE_QUERY).toContain('image(projectId: "9c53a566cb3443ab910cf0daebca90c4", id: "17a1890b-0fa4-485e-8505-14e294017988")');
  });
});

describe('GraphiQL as a static site', () => {
  it('sends the page with its policy, revalidated on every open', async () => {
    const page = await openPage({ 'accept-encoding': BROWSER_ENCODINGS });
    expect(Object.fromEntries([...page.headers].filter(([name]) => name !== 'x-request-id' && name !== 'content-length'))).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-encoding': 'br',
      'cache-control': 'no-cache',
      etag: expect.stringMatching(/^"[0-9a-f]{16}-br"$/),
      vary: 'Accept, Accept-Encoding',
      'content-security-policy': GRAPHIQL_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    // The policy, for review: see src/graphql/graphiql.ts for why each directive.
    expect(GRAPHIQL_CSP.split('; ')).toMatchInlineSnapshot(`
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'none'",
      ]
    `);
  });

  it('sends each file for a year, immutable, with the same security headers', async () => {
    const files = await crawl();
    const types = new Set<string>();
    for (const [path, file] of files) {
      expect(file.status, path).toBe(200);
      expect(file.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(file.headers.get('etag'), path).toBe(`"${/\.([0-9a-f]{16})\./.exec(path)![1]}"`);
      expect(file.headers.get('vary'), path).toBe('Accept-Encoding');
      expect(file.headers.get('content-security-policy'), path).toBe(GRAPHIQL_CSP);
      expect(file.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(file.headers.get('x-frame-options'), path).toBe('DENY');
      expect(Number(file.headers.get('content-length')), path).toBe(file.body.byteLength);
      types.add(`${path.split('.').at(-1)} ${file.headers.get('content-type')}`);
    }
    expect([...types].sort()).toEqual(['css text/css; charset=utf-8', 'ico image/x-icon', 'js text/javascript; charset=utf-8', 'png image/png', 'svg image/svg+xml', 'ttf font/ttf', 'woff font/woff', 'woff2 font/woff2']);
  });

  it('answers 304 to If-None-Match, for the page and for each file, with the headers a 200 would have', async () => {
    const page = await openPage({ 'accept-encoding': BROWSER_ENCODINGS });
    const etag = page.headers.get('etag')!;
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await openPage({ 'accept-encoding': BROWSER_ENCODINGS, 'if-none-match': tag });
      expect(again.status, tag).toBe(304);
      expect(again.body.byteLength).toBe(0);
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('cache-control')).toBe('no-cache');
      expect(again.headers.get('vary')).toBe('Accept, Accept-Encoding');
    }
    // Another tag, or the tag of another coding (a strong validator differs between codings): the page again.
    expect((await openPage({ 'accept-encoding': BROWSER_ENCODINGS, 'if-none-match': '"0000000000000000-br"' })).status).toBe(200);
    expect((await openPage({ 'accept-encoding': 'gzip', 'if-none-match': etag })).status).toBe(200);

    for (const path of (await crawl()).keys()) {
      const file = await get(path, { 'accept-encoding': BROWSER_ENCODINGS });
      const again = await get(path, { 'accept-encoding': BROWSER_ENCODINGS, 'if-none-match': file.headers.get('etag')! });
      expect(again.status, path).toBe(304);
      expect(again.body.byteLength, path).toBe(0);
      expect(again.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
    }
  });

  it('compresses with brotli or gzip as Accept-Encoding asks, bodies that decompress to the file', async () => {
    for (const path of ['/graphql', ...(await crawl()).keys()]) {
      const headers = path === '/graphql' ? { accept: 'text/html' } : {};
      const plain = await get(path, headers);
      const type = plain.headers.get('content-type')!;
      expect(plain.headers.get('content-encoding'), path).toBeNull();
      // WOFF, WOFF2 and PNG are compressed formats: they are sent as they are.
      if (/woff|png/.test(type)) {
        expect((await get(path, { ...headers, 'accept-encoding': BROWSER_ENCODINGS })).headers.get('content-encoding'), path).toBeNull();
        continue;
      }
      const br = await get(path, { ...headers, 'accept-encoding': BROWSER_ENCODINGS });
      expect(br.headers.get('content-encoding'), path).toBe('br');
      expect(br.body.byteLength, path).toBeLessThan(plain.body.byteLength);
      expect(brotliDecompressSync(br.body).equals(plain.body), path).toBe(true);
      const gzip = await get(path, { ...headers, 'accept-encoding': 'gzip, deflate' });
      expect(gzip.headers.get('content-encoding'), path).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body), path).toBe(true);
      expect(gzip.headers.get('etag'), path).toBe(br.headers.get('etag')!.replace('-br', '-gzip'));
    }
    // q-values: the highest wins, q=0 refuses, `*` stands for the rest.
    const script = [...(await crawl()).keys()].find((path) => /graphiql\.[0-9a-f]{16}\.js$/.test(path))!;
    const encodingFor = async (acceptEncoding: string) => (await get(script, { 'accept-encoding': acceptEncoding })).headers.get('content-encoding');
    expect(await encodingFor('br;q=0.5, gzip;q=1')).toBe('gzip');
    expect(await encodingFor('br;q=0, *')).toBe('gzip');
    expect(await encodingFor('*')).toBe('br');
    expect(await encodingFor('identity')).toBeNull();
    expect(await encodingFor('br;q=0, gzip;q=0')).toBeNull();
  });

  it('compresses each file once, when it is built, not per request, and once per process', async () => {
    const files = [...(await crawl()).keys()];
    const before = compressions.count;
    expect(before).toBeGreaterThan(10); // the build's: the count sees the calls
    for (const path of files) {
      await get(path, { 'accept-encoding': 'br' });
      await get(path, { 'accept-encoding': 'gzip' });
    }
    await openPage({ 'accept-encoding': 'br' });
    expect(compressions.count).toBe(before);

    // Another app in the same process makes its own page (its options), with the files already built.
    const other = createYoga({ schema: createSchema({ imagesMaxIds: 10 }), graphiql: false, plugins: [useGraphiQLFiles({ endpoint: '/graphql', options: { title: 'other' }, logger: pino({ level: 'silent' }) })] });
    expect(text(await get('/graphql', { accept: 'text/html' }, other))).toContain('<title>other</title>');
    expect(compressions.count - before).toBe(2); // the page, with brotli and with gzip
  });

  it('answers 404 for a name it does not have', async () => {
    const script = [...(await crawl()).keys()].find((path) => path.endsWith('.js'))!;
    for (const path of ['/graphiql/nothing.js', '/graphiql/', script.replace(/[0-9a-f]{16}/, '0123456789abcdef'), `${script}.map`]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('costs a first open under 2.5 MB (Yoga sent 9 MB on every open), and a second open a 304 of under 1 KB', async () => {
    const browser = { 'accept-encoding': BROWSER_ENCODINGS };
    const page = await openPage(browser);
    const files = await Promise.all([...(await crawl()).keys()].map((path) => get(path, browser)));
    // Every file the page can ask for; a browser fetches only the fonts and images it draws with.
    const first = page.bytes + files.reduce((sum, file) => sum + file.bytes, 0);
    // A second open asks for the page again (revalidation) and none of the files, fresh in its cache for a year.
    const second = (await openPage({ ...browser, 'if-none-match': page.headers.get('etag')! })).bytes;
    expect(first).toBeGreaterThan(1_000_000);
    expect(first).toBeLessThan(2_500_000);
    expect(second).toBeLessThan(1_000);
    console.info(`GraphiQL, first open: ${first} bytes (page ${page.bytes}, ${files.length} files); second open: ${second} bytes`);
  });

  it('escapes its options: a default query cannot end the data block, a title cannot add markup', async () => {
    const yoga = createYoga({
      schema: createSchema({ imagesMaxIds: 10 }),
      graphiql: false,
      plugins: [useGraphiQLFiles({ endpoint: '/graphql', options: { title: '</title><script>alert(1)</script>', defaultQuery: '# </script><script>alert(2)</script>' }, logger: pino({ level: 'silent' }) })],
    });
    const html = text(await get('/graphql', { accept: 'text/html' }, yoga));
    expect(html).toContain('<title>&#60;/title&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>');
    expect(html).not.toContain('<script>alert');
    const options = /<script type="application\/json" id="graphiql-options">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(options!)).toEqual({ title: '</title><script>alert(1)</script>', defaultQuery: '# </script><script>alert(2)</script>' });
  });
});

describe('GraphiQL off (GRAPHIQL=false)', () => {
  let off: Stack;
  beforeAll(async () => {
    off = await startStack({ server: { graphiql: false } });
  });
  afterAll(() => off.close());

  it('serves neither the page nor its files', async () => {
    // A browser's GET of /graphql is then a GraphQL request that accepts none of GraphQL's media types.
    const page = await get('/graphql', { accept: 'text/html' }, off.app);
    expect(page.status).toBe(406);
    expect(page.body.byteLength).toBe(0);
    for (const path of (await crawl()).keys()) expect((await get(path, {}, off.app)).status, path).toBe(404);
  });
});
