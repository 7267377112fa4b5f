import { printSchema } from 'graphql';
import { schema } from './index.js';

/** Where the checked-in schema lives: the repository root. */
export const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

/** The schema as SDL, exactly what `schema.graphql` must contain. */
export function printSchemaFile(): string {
  return `${printSchema(schema)}\n`;
}
