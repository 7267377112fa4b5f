import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one behaviour of every generator script: write `file`, or with `--check` on the command line,
 * fail (exit 1) when `file` differs from what the code generates now.
 */
export async function writeOrCheck(file: URL, generated: string, regenerate: string): Promise<void> {
  const name = relative(fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(file));
  if (process.argv.includes('--check')) {
    if ((await readFile(file, 'utf8').catch(() => '')) !== generated) {
      process.stderr.write(`${name} is out of date: run \`${regenerate}\` and commit the result.\n`);
      process.exit(1);
    }
    process.stdout.write(`${name} is up to date.\n`);
  } else {
    await writeFile(file, generated);
    process.stdout.write(`wrote ${name}\n`);
  }
}
