import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Which folders of src/ each folder may import. The model (images/) in the middle imports nothing; the GraphQL
 * layer above it; the adapters below it implement its ports: the upstream APIs (ecs/, ims/, sharing their HTTP
 * machinery in upstream/), caller identity (callers/), the stores of shared state (stores/) and observability.
 * config/ turns the environment into the options they take (their types are imported from it). server/ is the
 * composition root and may import anything, and main.ts alone may import server/; the sandbox is a program of its own.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  images: [],
  graphql: ['images', 'callers', 'observability', 'config'],
  ecs: ['images', 'upstream'],
  ims: ['images', 'upstream'],
  upstream: ['images'],
  callers: ['images', 'config', 'observability'],
  stores: ['images', 'config'],
  observability: ['images'],
  config: [],
  sandbox: ['images', 'upstream', 'config'],
  server: ['images', 'graphql', 'ecs', 'ims', 'upstream', 'callers', 'stores', 'observability', 'config', 'sandbox'],
  'main.ts': ['config', 'observability', 'server'],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))));
  return nested.flat();
}

/** The folder of src/ a file (relative to src/) is in, or for a file at the top of src/, the file's name. */
const folderOf = (file: string) => file.split('/')[0]!;

/** Every relative import of src/, as `[importing file, imported file]`, both relative to src/. */
async function imports(): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      found.push([relative(SRC, file), relative(SRC, normalize(join(dirname(file), specifier!))).replace(/\.js$/, '.ts')]);
    }
  }
  return found;
}

describe('the layers of src/ (graphql -> images <- ecs | ims | callers | stores)', () => {
  it('has no loose file but main.ts, and every folder has its rule', async () => {
    const entries = await readdir(SRC, { withFileTypes: true });
    expect(entries.filter((entry) => entry.isFile()).map((entry) => entry.name)).toEqual(['main.ts']);
    expect(entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()).toEqual(Object.keys(MAY_IMPORT).filter((name) => name !== 'main.ts').sort());
  });

  it('import only what their layer may', async () => {
    const violations: string[] = [];
    for (const [file, target] of await imports()) {
      const from = folderOf(file);
      const to = folderOf(target);
      if (to !== from && !MAY_IMPORT[from]!.includes(to)) violations.push(`${file} imports ${target} (${from} -> ${to})`);
    }
    expect(violations).toEqual([]);
  });

  it('form no cycle between folders, in the imports as written', async () => {
    const edges = new Map<string, Set<string>>();
    for (const [file, target] of await imports()) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]): void => {
      if (path.includes(folder)) {
        cycles.push([...path.slice(path.indexOf(folder)), folder].join(' -> '));
        return;
      }
      for (const next of edges.get(folder) ?? []) visit(next, [...path, folder]);
    };
    for (const folder of edges.keys()) visit(folder, []);
    expect(cycles).toEqual([]);
  });
});
