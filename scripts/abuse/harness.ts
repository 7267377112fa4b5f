/**
 * What every abuse round shares: the processes it starts (the service and the sandbox, from their sources), HTTP
 * requests that time themselves, the service's upstream call count, and a bystander measuring what an attack
 * does to everyone else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'undici';
import { SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';

export const P = SAMPLE_PROJECT_ID;
export const UBUNTU = SAMPLE_IMAGES[2]!.imageId; // the 20-key sample
export const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const project = (n: number) => n.toString(16).padStart(32, 'c');
export const agent = new Agent({ connections: 64 });
/** Every process this script starts, stopped however it ends. */
const children: ChildProcess[] = [];
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

export interface Program {
  readonly url: URL;
  readonly child: ChildProcess;
  /** The first line of its stderr that matched, when asked for (e.g. the inspector's address). */
  readonly stderrMatch?: RegExpExecArray | undefined;
}

/**
 * Runs `src/<entry>` in a process of its own (tsx, with `nodeArgs`), and resolves once it logs the line `ready`
 * matches (and, with `stderrReady`, once stderr matches it too).
 */
export async function run(entry: string, ready: RegExp, env: Record<string, string> = {}, options: { nodeArgs?: string[]; stderrReady?: RegExp } = {}): Promise<Program> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', options.stderrReady ? 'pipe' : 'inherit'],
  });
  children.push(child);
  const stderrMatch = options.stderrReady
    ? new Promise<RegExpExecArray>((resolve) => {
        let seen = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = options.stderrReady!.exec(seen);
          if (match) resolve(match);
        });
      })
    : undefined;
  let output = '';
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match?.[1]) resolve(new URL(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${output}`)));
  });
  child.stdout!.resume();
  return { url, child, stderrMatch: await stderrMatch };
}

export const startSandbox = (env: Record<string, string> = {}) => run('src/sandbox/main.ts', /listening at (\S+?)"/, env);
export const startService = (env: Record<string, string>, options?: Parameters<typeof run>[3]) =>
  run('src/main.ts', /GraphQL endpoint ready at (\S+?)"/, { LOG_LEVEL: 'info', ...env }, options);

export async function post(url: URL, body: unknown, headers: Record<string, string> = {}) {
  const started = performance.now();
  const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', 'x-auth-token': 'attacker', ...headers }, body: JSON.stringify(body) });
  const text = await response.body.text();
  return { status: response.statusCode, bytes: Buffer.byteLength(text), ms: performance.now() - started, code: /"code":"(\w+)"/.exec(text)?.[1], text };
}

/** Upstream calls the service has made so far, from its /metrics, by outcome (`200`, `401`, ...) or all. */
export async function upstreamCalls(service: URL, outcome?: string): Promise<number> {
  const text = await (await request(new URL('/metrics', service), { dispatcher: agent })).body.text();
  return [...text.matchAll(/^ecs_image_graph_upstream_requests_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)$/gm)]
    .filter((match) => outcome === undefined || match[1] === outcome)
    .reduce((sum, match) => sum + Number(match[2]), 0);
}

/** Runs `attack` in `loops` loops for `seconds` while a bystander asks `{ __typename }` in a loop; the bystander's worst and median wait. */
export async function underLoad(service: URL, seconds: number, loops: number, attack: () => Promise<unknown>) {
  const until = performance.now() + seconds * 1000;
  let attacks = 0;
  const attackers = Array.from({ length: loops }, async () => {
    while (performance.now() < until) {
      await attack();
      attacks += 1;
    }
  });
  const waits: number[] = [];
  while (performance.now() < until) waits.push((await post(service, { query: '{ __typename }' })).ms);
  await Promise.all(attackers);
  waits.sort((a, b) => a - b);
  return { attacks, worstMs: Math.round(waits.at(-1) ?? 0), medianMs: Math.round(waits[Math.floor(waits.length / 2)] ?? 0) };
}

export const print = (name: string, figure: string) => console.log(`${name.padEnd(58)} ${figure}`);
