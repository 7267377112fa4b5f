import { execFile } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { launchChromium, saveScreenshot } from '../helpers/browser.js';
import { parseExposition } from '../helpers/metrics.js';
import { startService } from '../helpers/service.js';
import { until } from '../helpers/until.js';

// examples/web, built and served on its own loopback origin, calling the service on another, in Chromium. The
// service is the compiled program, as `npm start` runs it, with CORS_ORIGINS in its environment and its built-in
// sandbox as upstream.

const EXAMPLE = fileURLToPath(new URL('../../examples/web/', import.meta.url));
// The picture docs/frontend.md shows: written by every run from what the test has just checked, so it cannot go stale.
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/web-example.png', import.meta.url));
const PROJECT_ID = '9c53a566cb3443ab910cf0daebca90c4';
// The ids the page asks for (examples/web/src/main.ts): four sample images and one the sandbox always fails.
const IMAGE_IDS = [DOCUMENTED_IMAGE.imageId, '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b', 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f', 'c4d8e2f6-9a1b-4c3d-8e5f-7a9b1c3d5e7f', 'faded000-0000-4000-8000-000000005000'];

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** examples/web/dist over HTTP, as any static host would serve it. */
function serveExample(): Server {
  const root = join(EXAMPLE, 'dist');
  return createServer((request, response) => {
    const path = normalize(new URL(request.url ?? '/', 'http://example').pathname).replace(/^\/+/, '') || 'index.html';
    readFile(join(root, path)).then(
      (body) => response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let browser: Browser;
let example: Server;
let exampleOrigin: string;

beforeAll(async () => {
  const started = performance.now();
  await promisify(execFile)('npm', ['run', '-s', 'build', '--', '--logLevel', 'error'], { cwd: EXAMPLE, timeout: 90_000 });
  console.log(`examples/web built in ${Math.round(performance.now() - started)} ms`);
  example = serveExample();
  exampleOrigin = await listen(example);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => example?.close(resolve));
});

/** The compiled service on a loopback origin of its own, with `CORS_ORIGINS`, its log lines captured. */
async function service(corsOrigins: string) {
  const program = await startService({ CORS_ORIGINS: corsOrigins, LOG_LEVEL: 'debug' });
  const origin = program.url.origin;
  return {
    origin,
    logs: program.logs,
    /** The service's upstream calls so far, by outcome (from its own /metrics). */
    async upstreamCalls(): Promise<Record<string, number>> {
      const samples = parseExposition(await (await fetch(`${origin}/metrics`)).text());
      return Object.fromEntries(samples.filter(({ name }) => name === 'ecs_image_graph_upstream_requests_total').map(({ labels, value }) => [labels['outcome'], value]));
    },
    /**
     * The operations it ran (one log line each), once the `at least`-th has been logged: lines arrive in
     * batches, so a count is only read after the line it waits for.
     */
    async operations(atLeast: number): Promise<number> {
      const count = () => program.logs.filter((line) => line['msg'] === 'graphql operation').length;
      await until(() => count() >= atLeast);
      return count();
    },
    /** Asks the service itself, from no origin at all, for the documented image. */
    ask: () => fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ image(projectId: "${PROJECT_ID}", id: "${DOCUMENTED_IMAGE.imageId}") { id } }` }) }),
    close: () => program.stop(),
  };
}

/** Opens the example against `serviceOrigin`, recording every request and every console error. */
async function openExample(serviceOrigin: string) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const requested: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(`${exampleOrigin}/?endpoint=${encodeURIComponent(`${serviceOrigin}/graphql`)}`);
  return { page, requested, consoleErrors };
}

describe('examples/web in Chromium, on another origin than the service', () => {
  it('lists the images with their typed values and a per-image error, and shows the raw metadata', async () => {
    const started = performance.now();
    const running = await service(exampleOrigin);
    try {
      // What a person should see: the service's own answer for the same ids, row by row.
      const answer = await fetch(`${running.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ images(projectId: "${PROJECT_ID}", ids: ${JSON.stringify(IMAGE_IDS)}) { id osType osBit platform virtualEnvType } }` }),
      });
      const body = (await answer.json()) as { data: Record<string, unknown>; errors: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };
      const images = body.data!['images'] as Array<{ id: string; osType: string; osBit: number; platform: string; virtualEnvType: string | null } | null>;
      const failure = body.errors!.find(({ path }) => path?.[1] === 4)!;
      const expected = images.map((image, index) =>
        image ? [image.id, image.osType, String(image.osBit), image.platform, image.virtualEnvType ?? '-', 'Details'] : [IMAGE_IDS[index], `${failure.message} (${String(failure.extensions?.['code'])})`],
      );
      expect(expected[0]).toEqual([DOCUMENTED_IMAGE.imageId, 'LINUX', '64', 'SUSE', 'IRONIC', 'Details']);
      expect(expected[4]).toEqual([IMAGE_IDS[4], 'ECS is unavailable (HTTP 500). (UPSTREAM_UNAVAILABLE)']);
      // Each of the four images once, the failing one three times (two retries).
      expect(await running.upstreamCalls()).toEqual({ '200': 4, '500': 3 });

      const { page, requested, consoleErrors } = await openExample(running.origin);
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toBe('4 of 5 images loaded.');
      expect(await page.locator('#images').isVisible()).toBe(true);
      const rows = await page.locator('#images tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
      expect(rows).toEqual(expected);
      expect(await page.locator('#images tbody tr td.error').count()).toBe(1);

      await page.getByRole('button', { name: `Metadata of ${DOCUMENTED_IMAGE.imageId}` }).click();
      await expect.poll(() => page.locator('#details').isVisible()).toBe(true);
      const metadata = await page.locator('#details tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText)));
      expect(metadata).toEqual(DOCUMENTED_IMAGE.metadata.map(([key, value]) => [key, value]));

      // The page names the endpoint it reads, here on a random port: the picture shows the one of `npm start`,
      // which is what a reader following docs/frontend.md sees, so that the file changes only when the page does.
      await page.locator('#endpoint').evaluate((code) => (code.textContent = 'http://localhost:4000/graphql'));
      await copyFile(await saveScreenshot(page, 'web-example.png'), DOCS_SCREENSHOT);
      expect(consoleErrors).toEqual([]);
      // Nothing but the page's own origin and the service's: no CDN, font or telemetry call.
      expect(requested.filter((url) => ![exampleOrigin, running.origin].includes(new URL(url).origin))).toEqual([]);
      expect(requested.filter((url) => url.startsWith(running.origin))).toEqual([`${running.origin}/graphql`, `${running.origin}/graphql`]);
      // The service caches (its defaults): the page's list and details view read the four images from the
      // cache; only the failing image, whose errors are never cached, was tried three times again.
      expect(await running.upstreamCalls()).toEqual({ '200': 4, '500': 6 });
      // The test's own question, the page's list, its details view: and then the test's last question.
      await running.ask();
      expect(await running.operations(4)).toBe(4);
      expect(running.logs.filter((line) => Number(line['level']) >= 50)).toEqual([]);
      await page.close();
    } finally {
      await running.close();
    }
    console.log(`allowed origin: ${Math.round(performance.now() - started)} ms`);
  }, 60_000);

  it('is refused by the browser when its origin is not in CORS_ORIGINS: the page says so, the service logs no error', async () => {
    const started = performance.now();
    const running = await service('https://app.example.com');
    try {
      const { page, requested, consoleErrors } = await openExample(running.origin);
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toBe('Could not reach the image service: Failed to fetch');
      expect(await page.locator('#images').isVisible()).toBe(false);
      // The page's one attempt; the browser's preflight was not allowed, so the operation was never sent: the
      // service ran none and made no upstream call. (Playwright does not report preflight requests.)
      expect(requested.filter((url) => url.startsWith(running.origin))).toEqual([`${running.origin}/graphql`]);
      expect(await running.upstreamCalls()).toEqual({});
      // The test's own question is logged after anything the page could have caused: it is the only operation.
      await running.ask();
      expect(await running.operations(1)).toBe(1);
      expect(consoleErrors.some((message) => message.includes('blocked by CORS policy'))).toBe(true);
      expect(running.logs.filter((line) => Number(line['level']) >= 50)).toEqual([]);
      await page.close();
    } finally {
      await running.close();
    }
    console.log(`refused origin: ${Math.round(performance.now() - started)} ms`);
  }, 60_000);
});
