import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_CSP } from '../../src/graphql/graphiql.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { launchChromium, saveScreenshot } from '../helpers/browser.js';
import { serve, type Served } from '../helpers/net.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let server: Served;
let origin: string;
let browser: Browser;
/** What the server answered, in order: `<method> <path> <status>`, and the bytes of the response on the wire. */
const served: Array<{ line: string; bytes: number }> = [];

beforeAll(async () => {
  stack = await startStack();
  server = await serve((request, response) => {
    // A connection carries one request at a time (Chromium does not pipeline): what it sent meanwhile is the response.
    const before = request.socket.bytesWritten;
    response.once('finish', () => served.push({ line: `${request.method} ${request.url?.split('?')[0]} ${response.statusCode}`, bytes: request.socket.bytesWritten - before }));
    void stack.app(request, response);
  });
  origin = server.origin;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.close();
});

/**
 * Everything the page's Content-Security-Policy blocks, as the page sees it (`securitypolicyviolation`) and as
 * Chromium logs it, and every uncaught error (a worker's included).
 */
async function watchForViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.assign(window, { cspViolations: seen });
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.effectiveDirective}: ${event.blockedURI}`));
  });
  const logged: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') logged.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => logged.push(`error: ${error.message}`));
  return async () => [...(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)), ...logged];
}

describe('GraphiQL in a real browser', () => {
  it('runs the example query offline under its CSP, marks deprecated fields in the editor and the docs, and loads nothing from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const violations = await watchForViolations(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    const opened = await page.goto(`${origin}/graphql`);
    expect(await opened?.headerValue('content-security-policy')).toBe(GRAPHIQL_CSP);
    expect(await opened?.headerValue('x-frame-options')).toBe('DENY');
    await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
    // The result editor renders spaces as no-break spaces, and only the lines in view.
    const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    await expect.poll(response, { timeout: 15_000 }).toContain('"osType": "LINUX"');
    const shown = await response();
    for (const line of [`"id": "${DOCUMENTED_IMAGE.imageId}"`, '"osBit": 64', '"platform": "SUSE"', '"virtualEnvType": "IRONIC"', '"key": "__os_version"']) {
      expect(shown).toContain(line);
    }

    // The editor underlines a deprecated field with a warning; hovering it tells why and where to go.
    // (The warning comes from the editor's language worker: hover until it has marked the field.)
    const deprecatedField = page.locator('.graphiql-query-editor').getByText('osType', { exact: true }).first();
    await expect
      .poll(
        async () => {
          await page.mouse.move(0, 0);
          await deprecatedField.hover();
          return page.getByText('The field Image.osType is deprecated.', { exact: false }).count();
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    // The wavy underline is drawn (Monaco's squiggly-warning, a data: SVG the policy's img-src allows).
    expect(await page.locator('.graphiql-query-editor .squiggly-warning').count()).toBeGreaterThan(0);

    // The docs pane: Query > Image. Deprecated fields are kept apart, behind "Show Deprecated Fields".
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.getByText('Image', { exact: true }).first().click();
    await expect.poll(() => docs.innerText()).toContain('virtualEnvType: VirtualEnvType');
    expect(await docs.innerText()).not.toContain('osType: OsType');
    await docs.getByRole('button', { name: 'Show Deprecated Fields' }).click();
    await expect.poll(() => docs.innerText()).toContain('Deprecated Fields');
    const text = await docs.innerText();
    expect(text).toContain('osType: OsType');
    expect(text).toContain('Legacy key __os_type of the deprecated ECS image metadata API. Migrate to IMS GET /v2/cloudimages?id={image_id}');

    await saveScreenshot(page, 'graphiql.png');

    // Everything the page fetched came from this server (data: URLs are the underlines Monaco draws); the
    // workers too are files of its own, no longer blob: URLs.
    expect(requested.length).toBeGreaterThan(0);
    const outside = requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
    expect(outside).toEqual([]);
    const workers = page.workers().map((worker) => worker.url());
    expect(workers.length).toBeGreaterThan(0);
    expect(workers.filter((url) => !url.startsWith(`${origin}/graphiql/`))).toEqual([]);
    // Nothing GraphiQL does is blocked by the policy.
    expect(await violations()).toEqual([]);
    await page.close();
  }, 60_000);

  it('opens a second time for a few kilobytes: the files come from the cache, the schema query compressed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = await watchForViolations(page);

    /**
     * Opens GraphiQL, waits until it has loaded its schema (its introspection query) and started Monaco's three
     * workers, and says what the server sent: for the page and its files, and for GraphQL operations (the
     * introspection query, sent on every open: the API's traffic, not GraphiQL's files).
     */
    const open = async () => {
      served.length = 0;
      await page.goto(`${origin}/graphql`);
      await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).waitFor();
      await expect.poll(() => served.some(({ line }) => line === 'POST /graphql 200') && page.workers().length === 3, { timeout: 15_000 }).toBe(true);
      // And until the server has had nothing more to answer for a second (the icon comes late).
      let count = -1;
      await expect.poll(() => count === (count = served.length), { interval: 1000, timeout: 15_000 }).toBe(true);
      const files = served.filter(({ line }) => !line.startsWith('POST '));
      const sum = (list: typeof served) => list.reduce((total, { bytes }) => total + bytes, 0);
      return { files: sum(files), requests: files.map(({ line }) => line), operations: sum(served.filter(({ line }) => line.startsWith('POST '))) };
    };

    const first = await open();
    expect(first.files).toBeGreaterThan(1_000_000);
    expect(first.files).toBeLessThan(2_500_000);
    const second = await open();
    // The server was asked for the page only: every file came from the cache (fresh for a year, immutable).
    // The page itself comes whole (0.6 KB), not as a 304: GraphiQL's own POST to /graphql on the first open
    // dropped it from the cache (RFC 9111 §4.4); test/service/graphiql.test.ts proves the 304.
    expect(second.requests).toEqual(['GET /graphql 200']);
    expect(second.files).toBeLessThan(50_000);
    // With GraphiQL's own introspection query (53 KB of JSON, compressed to a few KB), the whole second open.
    expect(second.files + second.operations).toBeLessThan(50_000);
    console.info(`GraphiQL over the wire: first open ${first.files} bytes (${first.requests.length} requests), second ${second.files}; GraphQL operations ${first.operations} and ${second.operations}`);
    expect(await violations()).toEqual([]);
    await context.close();
  }, 60_000);
});
