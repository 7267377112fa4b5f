import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import type { Logger } from '../observability/logger.js';
import { ASSET_PREFIX, graphiqlAssets, type GraphiQLAssets } from './graphiql-assets.js';
import { serveStatic, staticFile, type StaticFile } from './static-file.js';

/**
 * What GraphiQL's page and files may do in a browser: load from this origin only, and be framed by nobody.
 * Each directive is the least GraphiQL 5 and Monaco need (test/e2e/graphiql-browser.test.ts runs it under this
 * policy and fails on any violation):
 */
export const GRAPHIQL_CSP = [
  // Anything not named below (frames, media, manifests, ...): nothing.
  "default-src 'none'",
  // The bundle and its start-up, both files of this origin; no inline script, no eval.
  "script-src 'self'",
  // The stylesheet, and inline styles: Monaco writes <style> elements (its theme's colours, dynamic rules) and
  // renders the editor's lines as HTML with style attributes, with no way to give them a nonce. Blocked, the
  // editor loses its colours and layout (660 violations on one open). Inline styles cannot run script.
  "style-src 'self' 'unsafe-inline'",
  // The icon, and the images the stylesheet embedded as data: URLs, made files (graphiql-assets.ts); and data:
  // because Monaco draws the wavy underline of errors and warnings (the deprecation marks) as SVG data: URLs in
  // the theme's colours, made as it runs. An SVG loaded as an image runs no script.
  "img-src 'self' data:",
  // The fonts the stylesheet embedded as data: URLs, made files: a page downloads only those it draws with.
  "font-src 'self'",
  // Operations go to this origin's endpoint (a CSP source cannot name a path without naming the origin, which a
  // proxy in front may change).
  "connect-src 'self'",
  // Monaco's editor, JSON and GraphQL workers, files of this origin (Yoga's page made them blob: URLs).
  "worker-src 'self'",
  // No page may frame GraphiQL (clickjacking); X-Frame-Options says the same to browsers without CSP 2.
  "frame-ancestors 'none'",
  // No <base> may redirect the page's relative URLs, no plugin content, no form posts anywhere.
  "base-uri 'none'",
  "object-src 'none'",
  "form-action 'none'",
].join('; ');

/** On the page and on every file. */
const SECURITY_HEADERS = { 'content-security-policy': GRAPHIQL_CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };

/**
 * The page is revalidated on every open: a 304 when nothing changed. (Except in a browser that has POSTed to
 * /graphql since, as GraphiQL does on every open: that drops the cached page, RFC 9111 §4.4, and it comes again
 * whole, 0.6 KB compressed.)
 */
const PAGE_CACHE_CONTROL = 'no-cache';
/** A file's name changes with its content: a browser may keep it for a year without asking. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface GraphiQLServing {
  /** The GraphQL endpoint, where browsers asking for text/html get the page. */
  readonly endpoint: string;
  /** GraphiQL's options (title, default query, endpoint, ...): they reach the page as JSON. */
  readonly options: GraphiQLOptions;
  readonly logger: Logger;
}

/**
 * GraphiQL served like a static site, in place of Yoga's `renderGraphiQL` (a 9 MB page, `no-store`, on every
 * open: issue 17): GET `endpoint` with `Accept: text/html` answers a small page that names its script, styles,
 * workers and icon, each a file at `/graphiql/<name>.<hash>.<ext>`, compressed once, cached for a year: a
 * second open asks for the page only (1.95 MB, then 1.2 KB, in Chromium). The files are built on the first
 * request (see graphiql-assets.ts); without this plugin (`GRAPHIQL=false`) nothing is loaded and /graphiql/ is
 * Yoga's 404.
 *
 * Last among the plugins: useCacheControl marks every response that is not an operation's `no-store`, and this
 * plugin's onResponse puts its own Cache-Control back.
 */
export function useGraphiQLFiles({ endpoint, options, logger }: GraphiQLServing): Plugin {
  let ready: Promise<{ assets: GraphiQLAssets; page: StaticFile }> | undefined;
  const load = () =>
    (ready ??= graphiqlAssets().then(
      async (assets) => {
        const bytes = [...assets.files.values()].reduce((sum, file) => sum + file.bodies.identity.byteLength, 0);
        logger.info({ files: assets.files.size, bytes, buildMs: Math.round(assets.buildMs) }, 'GraphiQL files ready');
        return { assets, page: await staticFile('text/html; charset=utf-8', pageHtml(assets, options)) };
      },
      (error: unknown) => {
        // Tried again on the next request (graphiqlAssets forgets a failed build too).
        ready = undefined;
        throw error;
      },
    ));
  const cacheControls = new WeakMap<Request, string>();

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
      const isPage = (url.pathname === endpoint || url.pathname === `${endpoint}/`) && !!request.headers.get('accept')?.includes('text/html');
      if (!isPage && !url.pathname.startsWith(ASSET_PREFIX)) return undefined;
      return load().then(({ assets, page }) => {
        const file = isPage ? page : assets.files.get(url.pathname);
        if (!file) {
          endResponse(new fetchAPI.Response('Not found', { status: 404, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' } }));
          return;
        }
        const cacheControl = isPage ? PAGE_CACHE_CONTROL : ASSET_CACHE_CONTROL;
        cacheControls.set(request, cacheControl);
        // The page varies by Accept too: the same URL answers GraphQL in JSON.
        const headers = { ...SECURITY_HEADERS, 'cache-control': cacheControl, ...(isPage && { vary: 'Accept' }) };
        endResponse(serveStatic(file, request, headers, fetchAPI.Response));
      });
    },
    onResponse({ request, response }) {
      const cacheControl = cacheControls.get(request);
      if (cacheControl) response.headers.set('cache-control', cacheControl);
    },
  };
}

/**
 * The page: no inline script or style. The options travel as JSON in a data block the start-up reads; `<` is
 * escaped in it so that no string in them (a default query holding `</script>`) can end the block.
 */
function pageHtml(assets: GraphiQLAssets, options: GraphiQLOptions): string {
  const json = JSON.stringify(options).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'Yoga GraphiQL')}</title>
    <link rel="icon" href="${escapeHtml(options.favicon ?? assets.favicon)}" />
    <link rel="stylesheet" href="${assets.style}" />
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${assets.start}" defer></script>
    <script src="${assets.script}" defer></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
