import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The benchmark asserts nothing and is not timed here: this only checks that `npm run bench` still runs, its
// targets answer, and the figures it prints are whole. One peer is enough for that, with no warm-up, and dist/
// is the one the e2e setup built.
describe('npm run bench', () => {
  it('runs one second of the single-image scenario against the service and a peer and prints the ratio', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench.ts', '--rounds', '1', '--duration', '1', '--warmup', '0', '--only', 'one', '--targets', 'service,minimal-yoga', '--no-build'],
      { cwd: ROOT, timeout: 60_000 },
    );
    for (const target of ['service', 'minimal-yoga']) expect(stdout).toMatch(new RegExp(`round 1  ${target} +\\d+ /s  p50 +\\d+ ms\\n`));
    expect(stdout).not.toMatch(/failed|yoga-jit|apollo/);
    expect(stdout).toContain('upstream calls per image asked for (fresh ids when cold, one id when warm): 1.00 cold');
    expect(stdout).toMatch(/service \d+(\.\d+)?x minimal-yoga\n/);
  }, 90_000);
});
