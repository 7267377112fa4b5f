import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../src/sandbox/samples.js';
import { captureLogs } from './helpers/logs.js';
import { startStack, type Stack } from './helpers/stack.js';

// examples/web, built and served on its own loopback origin, calling the service on another, in Chromium.

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
const EXAMPLE = fileURLToPath(new URL('../examples/web/', import.meta.url));
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
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const started = performance.now();
  await promisify(execFile)(process.execPath, [join(EXAMPLE, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: EXAMPLE, timeout: 90_000 });
  console.log(`examples/web built in ${Math.round(performance.now() - started)} ms`);
  example = serveExample();
  exampleOrigin = await listen(example);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root on these machines Chromium needs --no-sandbox; the networking flags stop its own calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => example?.close(resolve));
});

/** The service on a loopback origin of its own, allowing `corsOrigins`, its log lines captured. */
async function service(corsOrigins: string[]) {
  const logs = captureLogs('debug');
  const stack: Stack = await startStack({ http: { corsOrigins }, logger: logs.logger });
  const server = createServer(stack.app);
  const origin = await listen(server);
  return {
    stack,
    logs,
    origin,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await stack.close();
    },
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
    const running = await service([exampleOrigin]);
    try {
      // What a person should see: the service's own answer for the same ids, row by row.
      const { body } = await running.stack.query(`{ images(projectId: "${PROJECT_ID}", ids: ${JSON.stringify(IMAGE_IDS)}) { id osType osBit platform virtualEnvType } }`);
      const images = body.data!['images'] as Array<{ id: string; osType: string; osBit: number; platform: string; virtualEnvType: string | null } | null>;
      const failure = body.errors!.find(({ path }) => path?.[1] === 4)!;
      const expected = images.map((image, index) =>
        image ? [image.id, image.osType, String(image.osBit), image.platform, image.virtualEnvType ?? '-', 'Details'] : [IMAGE_IDS[index], `${failure.message} (${String(failure.extensions?.['code'])})`],
      );
      expect(expected[0]).toEqual([DOCUMENTED_IMAGE.imageId, 'LINUX', '64', 'SUSE', 'IRONIC', 'Details']);
      expect(expected[4]).toEqual([IMAGE_IDS[4], 'The legacy API is unavailable (HTTP 500). (UPSTREAM_UNAVAILABLE)']);
      running.stack.sandbox.requests.length = 0;

      const { page, requested, consoleErrors } = await openExample(running.origin);
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toBe('4 of 5 images loaded.');
      const rows = await page.locator('#images tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
      expect(rows).toEqual(expected);
      expect(await page.locator('#images tbody tr td.error').count()).toBe(1);

      await page.locator(`#images tr[data-image-id="${DOCUMENTED_IMAGE.imageId}"] button`).click();
      await expect.poll(() => page.locator('#details').isVisible()).toBe(true);
      const metadata = await page.locator('#details tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText)));
      expect(metadata).toEqual(DOCUMENTED_IMAGE.metadata.map(([key, value]) => [key, value]));

      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: fileURLToPath(new URL('web-example.png', ARTIFACTS)), fullPage: true });
      expect(consoleErrors).toEqual([]);
      // Nothing but the page's own origin and the service's: no CDN, font or telemetry call.
      expect(requested.filter((url) => ![exampleOrigin, running.origin].includes(new URL(url).origin))).toEqual([]);
      expect(requested.filter((url) => url.startsWith(running.origin))).toEqual([`${running.origin}/graphql`, `${running.origin}/graphql`]);
      // One upstream call per image of the list (the failing one tried three times), then one for the details.
      const calls: Record<string, number> = {};
      for (const { path } of running.stack.sandbox.requests) calls[path.split('/')[4]!] = (calls[path.split('/')[4]!] ?? 0) + 1;
      expect(calls).toEqual({ [IMAGE_IDS[0]!]: 2, [IMAGE_IDS[1]!]: 1, [IMAGE_IDS[2]!]: 1, [IMAGE_IDS[3]!]: 1, [IMAGE_IDS[4]!]: 3 });
      expect(running.logs.lines.filter((line) => Number(line['level']) >= 50)).toEqual([]);
      await page.close();
    } finally {
      await running.close();
    }
    console.log(`allowed origin: ${Math.round(performance.now() - started)} ms`);
  }, 60_000);

  it('is refused by the browser when its origin is not in CORS_ORIGINS: the page says so, the service logs no error', async () => {
    const started = performance.now();
    const running = await service(['https://app.example.com']);
    try {
      const { page, requested, consoleErrors } = await openExample(running.origin);
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toBe('Could not reach the image service: Failed to fetch');
      expect(await page.locator('#images').isVisible()).toBe(false);
      // The browser asked (a preflight), was not allowed, and never sent the operation: no upstream call.
      expect(requested.filter((url) => url.startsWith(running.origin))).toEqual([`${running.origin}/graphql`]);
      expect(running.stack.sandbox.requests).toEqual([]);
      expect(consoleErrors).toEqual([expect.stringContaining('has been blocked by CORS policy'), 'Failed to load resource: net::ERR_FAILED']);
      expect(running.logs.lines.filter((line) => Number(line['level']) >= 50)).toEqual([]);
      await page.close();
    } finally {
      await running.close();
    }
    console.log(`refused origin: ${Math.round(performance.now() - started)} ms`);
  }, 60_000);
});
