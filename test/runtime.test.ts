import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8');

describe('one Node version, from .nvmrc, everywhere it is named', () => {
  it('the Dockerfile ships it, CI installs it, and engines accepts it', async () => {
    const version = (await read('.nvmrc')).trim();
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    const images = [...(await read('Dockerfile')).matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(images).toEqual(Array(3).fill(`node:${version}-bookworm-slim`));
    expect(await read('.ci/run')).toContain(`node_version="$(tr -d '[:space:]' < .nvmrc)"`);
    const { engines } = JSON.parse(await read('package.json')) as { engines: { node: string } };
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const range = engines.node.split('||').map((part) => part.trim()).find((part) => part.startsWith(`^${major}.`));
    expect(range).toBeDefined();
    expect(Number(range!.split('.')[1])).toBeLessThanOrEqual(minor);
  });
});
