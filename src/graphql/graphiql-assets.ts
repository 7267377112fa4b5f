import { contentHash, staticFile, type StaticFile } from './static-file.js';

/** Where GraphiQL's files are served: a path of their own, beside the GraphQL endpoint. */
export const ASSET_PREFIX = '/graphiql/';

/**
 * GraphiQL as separate, content-addressed files (`/graphiql/<name>.<hash>.<ext>`): a browser keeps each for a
 * year and a new version of the package changes their names. @graphql-yoga/render-graphiql inlines all of it
 * in one 9 MB page; this takes the same pieces apart.
 */
export interface GraphiQLAssets {
  /** Every file, by its path. */
  readonly files: ReadonlyMap<string, StaticFile>;
  /** The paths the page names: the bundle, its start-up, its styles, its icon. */
  readonly script: string;
  readonly start: string;
  readonly style: string;
  readonly favicon: string;
  /** How long building them took, in milliseconds. */
  readonly buildMs: number;
}

let built: Promise<GraphiQLAssets> | undefined;

/**
 * GraphiQL's files, built on the first call and kept for the life of the process: they depend on the installed
 * package only (the page, with each app's options, is made elsewhere). A process that never serves GraphiQL
 * never loads the 9 MB module. A failed build is forgotten, so that the next request tries again.
 */
export function graphiqlAssets(): Promise<GraphiQLAssets> {
  built ??= build().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}

/** What Monaco asks workers for (its `label`), and the name of each worker's file. */
const WORKERS = { editorWorkerService: 'editor.worker', json: 'json.worker', graphql: 'graphql.worker' } as const;

async function build(): Promise<GraphiQLAssets> {
  const started = performance.now();
  const source = await import('@graphql-yoga/render-graphiql/graphiql');
  const pending = new Map<string, { type: string; bytes: Uint8Array<ArrayBuffer> }>();
  const add = (name: string, extension: string, type: string, content: string | Uint8Array<ArrayBuffer>) => {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const path = `${ASSET_PREFIX}${name}.${contentHash(bytes)}.${extension}`;
    pending.set(path, { type, bytes });
    return path;
  };

  // The stylesheet embeds its fonts and images as data: URLs (36 fonts, of which a page uses a few): each
  // becomes a file, named relative to the stylesheet, so that font-src needs no `data:` and a browser
  // downloads only the fonts it draws with (the stylesheet goes from 0.8 MB to 0.24 MB, 32 KB in brotli).
  const css = source.css.replace(DATA_URL_IN_CSS, (_match, _quote: string, type: string, base64: string) => {
    const path = add(type.split('/')[0]!, extensionOf(type), type, Buffer.from(base64, 'base64'));
    return `url(${path.slice(ASSET_PREFIX.length)})`;
  });
  const favicon = parseDataUrl(source.favicon);
  const workers = {
    editorWorkerService: add(WORKERS.editorWorkerService, 'js', JAVASCRIPT, source.editorWorkerService),
    json: add(WORKERS.json, 'js', JAVASCRIPT, source.jsonWorker),
    graphql: add(WORKERS.graphql, 'js', JAVASCRIPT, source.graphqlWorker),
  };
  const paths = {
    script: add('graphiql', 'js', JAVASCRIPT, source.js),
    start: add('start', 'js', JAVASCRIPT, startScript(workers)),
    style: add('graphiql', 'css', 'text/css; charset=utf-8', css),
    favicon: add('favicon', extensionOf(favicon.type), favicon.type, favicon.bytes),
  };

  // One file at a time: see staticFile.
  const files = new Map<string, StaticFile>();
  for (const [path, { type, bytes }] of pending) files.set(path, await staticFile(type, bytes));
  return { files, ...paths, buildMs: performance.now() - started };
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** `url(data:<type>;base64,<data>)`, quoted or not. Base64 has no quote or parenthesis to stop early at. */
const DATA_URL_IN_CSS = /url\(\s*(["']?)data:([\w.+-]+\/[\w.+-]+);base64,([A-Za-z0-9+/=]+)\1\s*\)/g;

function parseDataUrl(url: string): { type: string; bytes: Uint8Array<ArrayBuffer> } {
  const match = /^data:([\w.+-]+\/[\w.+-]+);base64,([A-Za-z0-9+/=]+)$/.exec(url);
  if (!match) throw new Error(`GraphiQL's favicon is not a base64 data: URL (${url.slice(0, 40)}...)`);
  return { type: match[1]!, bytes: Buffer.from(match[2]!, 'base64') };
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'font/woff2': 'woff2',
  'font/woff': 'woff',
  'font/ttf': 'ttf',
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/x-icon': 'ico',
};

function extensionOf(type: string): string {
  return EXTENSIONS[type] ?? 'bin';
}

/**
 * The start-up Yoga's page ran inline, as a file: the Content-Security-Policy allows no inline script. The
 * options come from the page, as JSON in a `<script type="application/json">` (data, which no policy blocks);
 * the workers are files of this origin, where Yoga's page made blob: URLs of strings in the page.
 */
function startScript(workers: Record<keyof typeof WORKERS, string>): string {
  return `'use strict';
// Runs before the GraphiQL bundle (both scripts are deferred, and run in document order), as Yoga's inline
// script did: Monaco reads MonacoEnvironment when it loads.
var workers = ${JSON.stringify(workers)};
self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (moduleId, label) {
    return workers[label];
  },
};
// Deferred scripts have all run when DOMContentLoaded fires: YogaGraphiQL is defined.
document.addEventListener('DOMContentLoaded', function () {
  var options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
});
`;
}
