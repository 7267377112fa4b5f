import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphql/app.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

async function graphiqlPage(): Promise<{ status: number; type: string | null; html: string }> {
  const response = await stack.app.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
  return { status: response.status, type: response.headers.get('content-type'), html: await response.text() };
}

describe('GraphiQL at /graphql', () => {
  it('is served to browsers and opens with the example query', async () => {
    const { status, type, html } = await graphiqlPage();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    expect(html).toContain('<title>ecs-image-graph</title>');
    expect(html).toContain(JSON.stringify(EXAMPLE_QUERY).slice(1, -1));
  });

  it('loads nothing from another origin: every script and style is inline', async () => {
    const { html } = await graphiqlPage();
    // Anything the browser would fetch: src/href/action attributes, CSS url(), @import, dynamic import(),
    // importScripts(), with an absolute or protocol-relative URL.
    const fetchable = /(?:\b(?:src|href|action)\s*=\s*["']?|url\(\s*["']?|@import\s+["']|\bimport\(\s*["']|importScripts\(\s*["'])\s*(?:https?:)?\/\//gi;
    expect(html.match(fetchable)).toBeNull();
    // The CDNs Yoga's default page and common bundles load from.
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|esm\.sh|googleapis\.com/);
    // The example query runs against the sandbox image, not a placeholder.
    expect(EXAMPLE_QUERY).toContain('image(projectId: "9c53a566cb3443ab910cf0daebca90c4", id: "17a1890b-0fa4-485e-8505-14e294017988")');
  });

  it('runs its own example query against the sandbox', async () => {
    const { body } = await stack.query(EXAMPLE_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data?.['image']).toMatchObject({ id: '17a1890b-0fa4-485e-8505-14e294017988', osType: 'LINUX', osBit: 64, platform: 'SUSE' });
  });
});
