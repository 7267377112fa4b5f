import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The e2e project's global setup: compiles the service once, as `npm start` does (its prestart step), before any
 * test runs a compiled program. Every test then runs the same dist/. The scale project has the same setup: vitest
 * runs each project's, one after the other, in its own process, so the first marks the build done in the environment.
 */
export default async function buildOnce(): Promise<void> {
  if (process.env['ECS_IMAGE_GRAPH_BUILT'] === '1') return;
  await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  process.env['ECS_IMAGE_GRAPH_BUILT'] = '1';
}
