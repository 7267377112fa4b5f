import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The e2e project's global setup: compiles the service once, as `npm start` does (its prestart step), before any
 * test runs a compiled program. Every test then runs the same dist/.
 */
export default async function buildOnce(): Promise<void> {
  await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
}
