import { readFile } from 'node:fs/promises';
import { parse } from 'graphql';
import { ConfigError } from './index.js';

/**
 * The persisted operations of trusted-documents mode: a JSON object mapping each document id (as the
 * client sends it) to its GraphQL text, as GraphQL Codegen's `persisted-documents.json` is. Checked at
 * start, so that a bad file stops the service instead of refusing every request later.
 */
export async function loadTrustedDocuments(path: string): Promise<ReadonlyMap<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw refused(`cannot read ${path} as JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw refused(`${path} must hold a JSON object of document id to GraphQL document`);
  }
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(json)) {
    if (typeof document !== 'string') throw refused(`the document "${id}" is not a string`);
    try {
      parse(document);
    } catch (error) {
      throw refused(`the document "${id}" is not valid GraphQL: ${(error as Error).message}`);
    }
    documents.set(id, document);
  }
  if (documents.size === 0) throw refused(`${path} holds no documents`);
  return documents;
}

function refused(message: string): ConfigError {
  return new ConfigError([{ variable: 'TRUSTED_DOCUMENTS_FILE', message }]);
}
