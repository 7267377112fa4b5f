import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The benchmark asserts nothing and is not timed here: this only checks that `npm run bench` still runs,
// every target answers, and the figures it prints are whole.
describe('npm run bench', () => {
  it('runs one second (after one of warm-up) of the single-image scenario against every target and prints the ratios', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--rounds', '1', '--duration', '1', '--warmup', '1', '--only', 'one'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    for (const target of ['service', 'minimal-yoga', 'yoga-jit', 'apollo']) expect(stdout).toMatch(new RegExp(`round 1  ${target} +\\d+ /s  p50 +\\d+ ms\\n`));
    expect(stdout).not.toMatch(/failed/);
    expect(stdout).toContain('upstream calls per image asked for (fresh ids when cold, one id when warm): 1.00 cold');
    expect(stdout).toMatch(/service \d+(\.\d+)?x minimal-yoga, \d+(\.\d+)?x yoga-jit, \d+(\.\d+)?x apollo\n/);
  }, 150_000);
});
