/**
 * Writes `schema.graphql` from the code, or with `--check` fails when the file is not what the code prints.
 * Usage: tsx scripts/print-schema.ts [--check]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { printSchemaFile, SCHEMA_FILE } from '../src/schema/print.js';

const printed = printSchemaFile();
if (process.argv.includes('--check')) {
  const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  if (current !== printed) {
    process.stderr.write('schema.graphql is out of date: run `npm run schema` and commit the result.\n');
    process.exit(1);
  }
  process.stdout.write('schema.graphql is up to date.\n');
} else {
  await writeFile(SCHEMA_FILE, printed);
  process.stdout.write(`wrote ${SCHEMA_FILE.pathname}\n`);
}
