import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('README', () => {
  it("shows the example query's real answer", async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## An example\n\n```graphql\n([\s\S]+?)```\n\n```json\n([\s\S]+?)```/.exec(readme);
    expect(example).not.toBeNull();
    const { body } = await stack.query(example![1]!);
    expect(body).toEqual(JSON.parse(example![2]!));
  });
});
