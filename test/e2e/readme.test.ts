import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The examples of the documentation, each run as the page shows it: the README's, and those of the pages it leads to.
const page = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('the examples of the documentation', () => {
  it("README.md: the example query's real answer", async () => {
    const readme = await page('README.md');
    const example = /## An example\n\n```graphql\n([\s\S]+?)```\n\n```json\n([\s\S]+?)```/.exec(readme);
    expect(example).not.toBeNull();
    const { body } = await stack.query(example![1]!);
    expect(body).toEqual(JSON.parse(example![2]!));
  });

  it("docs/api.md: the curl example's real answer", async () => {
    const example = /```sh\ncurl [^\n]+\\\n\s+-d '([^']+)'\n```\n\n```json\n([\s\S]+?)```/.exec(await page('docs/api.md'));
    expect(example).not.toBeNull();
    const { query } = JSON.parse(example![1]!) as { query: string };
    const { body } = await stack.query(query);
    expect(body).toEqual(JSON.parse(example![2]!));
  });

  it('docs/federation.md: `npm run federation` serves the federated example from the repository, as the page shows it', async () => {
    const ports = { GATEWAY_PORT: String(await freePort()), IMAGES_PORT: String(await freePort()), SERVERS_PORT: String(await freePort()) };
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/federation.ts'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...ports }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()).includes('The supergraph is ready') && resolve());
        child.once('exit', (code) => reject(new Error(`npm run federation exited with ${code}:\n${output}`)));
      });
      const example = /Through the gateway, one query spans both subgraphs:\n\n```graphql\n([\s\S]+?)```\n\n```json\n([\s\S]+?)```/.exec(await page('docs/federation.md'));
      expect(example).not.toBeNull();
      const response = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: example![1] }) });
      expect(await response.json()).toEqual(JSON.parse(example![2]!));
    } finally {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  }, 60_000);
});
