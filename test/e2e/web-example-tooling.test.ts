import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deprecationReason } from '../../src/graphql/schema/image-attributes.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/web/', import.meta.url));

describe("examples/web's tooling", () => {
  it('has typed documents generated from schema.graphql and its documents, up to date (graphql-codegen --check)', async () => {
    // Exits non-zero (and execFile rejects), naming the stale files, when src/gql/ is not what the documents and
    // the schema give.
    await promisify(execFile)('npm', ['run', '-s', 'codegen:check'], { cwd: EXAMPLE, timeout: 60_000 });
    const generated = await readFile(new URL('src/gql/graphql.ts', `file://${EXAMPLE}`), 'utf8');
    expect(generated).toContain('} as unknown as DocumentNode<ImageListQuery, ImageListQueryVariables>;');
    expect(generated).toContain('} as unknown as DocumentNode<ImageDetailsQuery, ImageDetailsQueryVariables>;');
    expect(generated).toContain('export type ImageListQuery = { images: Array<{ id: string, osType: OsType | null, osBit: number | null, platform: Platform | null, virtualEnvType: VirtualEnvType | null } | null> };');
  }, 90_000);

  it('warns about each deprecated field its documents read, with the reason that names the IMS replacement', async () => {
    // The example's own `npm run lint`, as a team would run it (it exits 0: warnings only).
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'lint', '--', '--format', 'json'], { cwd: EXAMPLE, timeout: 60_000 });
    const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string | null; severity: number; line: number; message: string }> }>;
    const reported = results.flatMap(({ filePath, messages }) =>
      messages.map(({ ruleId, severity, line, message }) => ({ file: filePath.slice(EXAMPLE.length), ruleId, severity, line, message })),
    );
    const field = (name: string, key: string, line: number) => ({
      file: 'src/documents/image-list.graphql',
      ruleId: '@graphql-eslint/no-deprecated',
      severity: 1, // a warning: the query still works, and the lint passes
      line,
      message: `Field "${name}" is marked as deprecated in your GraphQL schema (reason: ${deprecationReason(key)})`,
    });
    expect(reported).toEqual([field('osType', '__os_type', 6), field('osBit', '__os_bit', 7), field('platform', '__platform', 8)]);
  }, 60_000);
});
