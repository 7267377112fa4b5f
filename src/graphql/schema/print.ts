import { printSubgraphSchema } from '@apollo/subgraph';
import { createSchema } from './index.js';

/** Where the checked-in schema lives: the repository root. */
export const SCHEMA_FILE = new URL('../../../schema.graphql', import.meta.url);

/**
 * The subgraph SDL, exactly what `schema.graphql` must contain and what a registry receives: with `@link`
 * and `@key`, which plain `printSchema` would drop.
 */
export function printSchemaFile(): string {
  return `${printSubgraphSchema(createSchema())}\n`;
}
