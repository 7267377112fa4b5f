import type { App } from '../../src/graphql/app.js';

export interface Scrape {
  /** The value of the sample `name` with exactly these labels; 0 when there is none. */
  value(name: string, labels?: Record<string, string>): number;
  /** The number of observations of histogram `name` with exactly these labels (its `_count` sample). */
  count(name: string, labels?: Record<string, string>): number;
  /** Every label set the samples of `name` have. */
  labelSets(name: string): Array<Record<string, string>>;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * Reads the Prometheus text exposition format: `name{label="value",...} number` lines; comments skipped.
 * (The npm parsers tried drop histogram labels; this format is simple enough to read exactly.)
 */
export function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key!] = value!.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
      }
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** GET /metrics as Prometheus would, parsed. */
export async function scrape(app: App): Promise<Scrape & { status: number; contentType: string | null }> {
  const response = await app.fetch('http://localhost/metrics');
  const samples = parseExposition(await response.text());
  const same = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const value = (name: string, labels: Record<string, string> = {}) => samples.find((sample) => sample.name === name && same(sample.labels, labels))?.value ?? 0;
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    value,
    count: (name, labels = {}) => value(`${name}_count`, labels),
    labelSets: (name) => samples.filter((sample) => sample.name === name).map((sample) => sample.labels),
  };
}
