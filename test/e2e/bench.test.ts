import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const bench = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], { cwd: ROOT, timeout: 60_000 });

// The benchmark asserts nothing and is not timed here: this only checks that `npm run bench` still runs, its
// targets answer, and the figures it prints are whole. One peer is enough for that, with no warm-up, and dist/
// is the one the e2e setup built.
describe('npm run bench', () => {
  it('runs one second of the single-image scenario against the service and a peer and prints the ratio', async () => {
    const { stdout } = await bench('--rounds', '1', '--duration', '1', '--warmup', '0', '--only', 'one', '--targets', 'service,minimal-yoga', '--no-build');
    for (const target of ['service', 'minimal-yoga']) expect(stdout).toMatch(new RegExp(`round 1  ${target} +\\d+ /s  p50 +\\d+ ms  p99 +\\d+ ms  cpu +\\d+ µs/op\\n`));
    expect(stdout).not.toMatch(/failed|yoga-jit|apollo/);
    expect(stdout).toContain('upstream calls per image asked for (fresh ids when cold, one id when warm): 1.00 cold');
    expect(stdout).toMatch(/service \d+(\.\d+)?x minimal-yoga \(cpu \d+(\.\d+)?x\)\n/);
  }, 90_000);

  it('--help lists every flag and exits 0; an unknown flag exits 2 with the help', async () => {
    const { stdout } = await bench('--help');
    for (const flag of ['--rounds', '--duration', '--warmup', '--only', '--targets', '--realistic', '--ablation', '--features', '--memory-seconds', '--no-build', '--write', '--help']) {
      expect(stdout).toContain(`  ${flag} `);
    }
    const refused = await bench('--rouns', '1').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toMatch(/^Unknown option '--rouns'[^\n]*\n\nnpm run bench \[-- options\]/);
  });

  it('--ablation runs the service with a feature off, and with all of them off, each beside the service whole, with no failed answer', async () => {
    // Rounds of 2 s: in 1 s on a loaded machine a 50-image round could finish no operation, and print no figures.
    const { stdout } = await bench('--ablation', '--features', 'metrics', '--targets', 'service', '--rounds', '1', '--duration', '2', '--warmup', '0', '--no-build');
    // In pairs: the service whole beside each variant, in each of the two scenarios.
    for (const [target, runs] of [['service', 4], ['-metrics', 2], ['-all', 2]] as const) {
      expect(stdout.match(new RegExp(`round 1  ${target} +\\d+ /s  p50 +\\d+ ms  p99 +\\d+ ms  cpu +\\d+ µs/op(  cost -?\\d+\\.\\d% CPU)?\\n`, 'g'))).toHaveLength(runs);
    }
    expect(stdout).not.toMatch(/failed|minimal-yoga|apollo/);
    expect(stdout).toMatch(/^ {2}metrics +\d+\/s +\d+ µs\/op +-?\d+\.\d% CPU \(pairs: -?\d+%\) +-?\d+\.\d% throughput$/m);
  }, 90_000);
});
