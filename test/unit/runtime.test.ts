import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('one Node version, from .nvmrc, everywhere it is named', () => {
  it('the Dockerfile ships it, CI installs it, and engines accepts it', async () => {
    const version = (await read('.nvmrc')).trim();
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    const bases = [...(await read('Dockerfile')).matchAll(/^FROM (node:\S+)/gm)].map((match) => match[1]);
    expect(bases).toEqual(Array(3).fill(`node:${version}-bookworm-slim`));
    expect(await read('.ci/run')).toContain(`node_version="$(tr -d '[:space:]' < .nvmrc)"`);
    const { engines } = JSON.parse(await read('package.json')) as { engines: { node: string } };
    expect(satisfies(version, engines.node)).toBe(true);
    // npm ci reads the lockfile's copy: the two must say the same.
    const lock = JSON.parse(await read('package-lock.json')) as { packages: Record<string, { engines?: { node: string } }> };
    expect(lock.packages['']?.engines).toEqual(engines);
    // Node 24 is what is tested: an older major is not promised (the README says what it may do).
    expect(satisfies('22.99.0', engines.node)).toBe(false);
  });
});

/** Whether `version` is in `range`, for the forms `engines` uses here: `^x.y.z` and `>=x.y.z`, joined by `||`. */
function satisfies(version: string, range: string): boolean {
  const parse = (text: string) => text.split('.').map(Number) as [number, number, number];
  const atLeast = (a: number[], b: number[]) => a[0]! !== b[0]! ? a[0]! > b[0]! : a[1]! !== b[1]! ? a[1]! > b[1]! : a[2]! >= b[2]!;
  const have = parse(version);
  return range.split('||').some((part) => {
    const [, operator, bound] = /^\s*(\^|>=)(\d+\.\d+\.\d+)\s*$/.exec(part) ?? [];
    if (!bound) throw new Error(`engines: a range of another form: ${part}`);
    const want = parse(bound);
    return atLeast(have, want) && (operator === '>=' || have[0] === want[0]);
  });
}
