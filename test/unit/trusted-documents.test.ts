import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { loadTrustedDocuments } from '../../src/config/trusted-documents.js';

async function file(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'documents-')), 'persisted-documents.json');
  await writeFile(path, content);
  return path;
}

describe('TRUSTED_DOCUMENTS_FILE', () => {
  it('reads a map of document id to GraphQL document', async () => {
    const documents = await loadTrustedDocuments(await file(JSON.stringify({ 'sha256:a': '{ __typename }', b: 'query B { __typename }' })));
    expect([...documents]).toEqual([
      ['sha256:a', '{ __typename }'],
      ['b', 'query B { __typename }'],
    ]);
  });

  it.each([
    ['not JSON', '{nope', /^Invalid configuration:\n {2}TRUSTED_DOCUMENTS_FILE: cannot read .+ as JSON \(/],
    ['a list', '["{ __typename }"]', /must hold a JSON object of document id to GraphQL document$/],
    ['a document that is not a string', '{"a": 1}', /the document "a" is not a string$/],
    ['a document that is not GraphQL', '{"a": "{ unclosed"}', /the document "a" is not valid GraphQL: Syntax Error/],
    ['no documents', '{}', /holds no documents$/],
  ])('refuses %s, saying why', async (_name, content, message) => {
    const path = await file(content);
    const error = await loadTrustedDocuments(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a file that does not exist', async () => {
    await expect(loadTrustedDocuments('/nonexistent/documents.json')).rejects.toThrow(/TRUSTED_DOCUMENTS_FILE: cannot read \/nonexistent\/documents.json as JSON/);
  });
});
