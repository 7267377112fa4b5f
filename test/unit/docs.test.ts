import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README and docs/ link to each other and into the repository; GitHub renders those links relative to the page.
// A page moved or a heading renamed would break them without a word, so every relative link is followed here.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The project's own pages. docs/legacy-api.zh.md is not one: it is Huawei's original page, kept as published (its
 * links point into Huawei's site), and reached from its English restatement, docs/legacy-api.md.
 */
async function pages(): Promise<string[]> {
  const docs = (await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md') && name !== 'legacy-api.zh.md').map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The text of a Markdown page outside its code blocks and code spans, where a link or a heading is one. */
const prose = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, (span) => span.replace(/[[\]()#]/g, ' '));

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('the links of README.md and docs/', () => {
  it('each relative link leads to a file of the repository, and each #anchor to a heading of its page', async () => {
    const broken: string[] = [];
    for (const page of await pages()) {
      const text = await readFile(join(ROOT, page), 'utf8');
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:: not this repository's
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const file = path === '' ? join(ROOT, page) : normalize(join(ROOT, dirname(page), path));
        if (!file.startsWith(ROOT) || !existsSync(file)) {
          broken.push(`${page}: ${target} (no such file)`);
        } else if (anchor !== undefined && file.endsWith('.md') && !anchors(await readFile(file, 'utf8')).has(anchor)) {
          broken.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README leads to every page of docs/', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const linked = new Set([...readme.matchAll(/\]\(docs\/([^)#\s]+\.md)/g)].map(([, name]) => `docs/${name}`));
    expect((await pages()).filter((page) => page.startsWith('docs/') && !linked.has(page))).toEqual([]);
  });
});
