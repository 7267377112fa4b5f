/**
 * Writes `schema.graphql` from the code, or with `--check` fails when the file is not what the code prints.
 * Usage: tsx scripts/print-schema.ts [--check]
 */
import { printSchemaFile, SCHEMA_FILE } from '../src/graphql/schema/print.js';
import { writeOrCheck } from './generated-file.js';

await writeOrCheck(SCHEMA_FILE, printSchemaFile(), 'npm run schema');
