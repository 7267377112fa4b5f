import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { launchChromium, saveScreenshot } from '../helpers/browser.js';
import { serve, type Served } from '../helpers/net.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let server: Served;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  server = await serve(stack.app);
  origin = server.origin;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.close();
});

describe('GraphiQL in a real browser', () => {
  it('runs the example query offline, marks deprecated fields in the editor and the docs, and loads nothing from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${origin}/graphql`);
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

    // Everything the page fetched came from this server (blob: URLs are the page's own workers).
    expect(requested.length).toBeGreaterThan(0);
    const outside = requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:'));
    expect(outside).toEqual([]);
    await page.close();
  });
});
