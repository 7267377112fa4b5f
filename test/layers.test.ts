import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Which folders of src/ each folder may import: the model in the middle, the GraphQL layer above it, the
 * upstream adapters below it (sharing their HTTP machinery in upstream/), observability beside them
 * implementing the model's observer ports. The files at the top of src/ (main, config, services, ...) put
 * the parts together and may import anything; the sandbox and examples are programs of their own.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  images: [],
  graphql: ['images', 'observability', 'config.ts'], // the settings' types
  legacy: ['images', 'upstream'],
  ims: ['images', 'upstream'],
  upstream: ['images'],
  observability: ['images'],
  sandbox: ['images', 'upstream', 'config-validators.ts'],
  examples: ['sandbox', 'config-validators.ts'],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))));
  return nested.flat();
}

/** The folder of src/ a file is in, or for the files at the top of src/, the file's name. */
const folderOf = (file: string) => relative(SRC, file).split('/')[0]!;

describe('the layers of src/ (graphql -> images <- legacy | ims)', () => {
  it('import only what their layer may', async () => {
    const violations: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const from = folderOf(file);
      if (!(from in MAY_IMPORT)) continue; // main, config, services, ...: they put the parts together
      const text = await readFile(file, 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const to = folderOf(normalize(join(dirname(file), specifier!)).replace(/\.js$/, '.ts'));
        if (to !== from && !MAY_IMPORT[from]!.includes(to)) violations.push(`${relative(SRC, file)} imports ${specifier} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('form no cycle between folders', () => {
    const visit = (folder: string, path: string[]): string[] =>
      path.includes(folder) ? [[...path, folder].join(' -> ')] : (MAY_IMPORT[folder] ?? []).flatMap((next) => visit(next, [...path, folder]));
    expect(Object.keys(MAY_IMPORT).flatMap((folder) => visit(folder, []))).toEqual([]);
  });
});
