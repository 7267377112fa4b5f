/**
 * The benchmark's processes: the sandbox as upstream, the service, the references; and what the benchmark reads
 * of them from outside (CPU time and memory from /proc, the sandbox's count of calls, the service's /metrics).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Program {
  readonly url: string;
  readonly child: ChildProcess;
}

const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Runs `args` with node in a process of its own, and resolves with the URL it announces. */
async function program(args: string[], env: Record<string, string>, announces: RegExp): Promise<Program> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = announces.exec(output);
      if (!match?.[1]) return;
      child.stdout!.off('data', onData);
      output = '';
      resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  child.stdout!.resume(); // the service's log lines, one per operation, as in production: read and dropped
  return { url, child };
}

export async function stop(target: Program): Promise<void> {
  if (target.child.exitCode !== null || target.child.signalCode !== null) return;
  target.child.kill('SIGTERM');
  await new Promise((resolve) => target.child.once('exit', resolve));
  running.delete(target.child);
}

export const sandbox = (latencyMs = 0) =>
  program(['--import', 'tsx', 'src/sandbox/main.ts'], { PORT: '0', SANDBOX_ANY_IMAGE: 'true', SANDBOX_LATENCY_MS: String(latencyMs) }, /listening at (\S+?)"/);

/**
 * This service, compiled, with its production defaults but for `overrides`, started by bench/service.ts (what
 * dist/main.js runs, plus the features the ablation turns off: `off`, comma-separated names or `all`).
 */
export const service = (upstream: string, overrides: Record<string, string> = {}, off = '') =>
  program(
    ['bench/service.ts'],
    {
      NODE_ENV: 'production',
      PORT: '0',
      ECS_ENDPOINT: upstream,
      CACHE_TTL_SECONDS: '0',
      // 50 images by alias in one operation: past the default of 20 aliases.
      MAX_ALIASES: '60',
      ...overrides,
      ...(off && { BENCH_FEATURES_OFF: off }),
    },
    /GraphQL endpoint ready at (\S+?)"/,
  );

export const reference = (name: string, upstream: string, env: Record<string, string> = {}) =>
  program(['--import', 'tsx', `bench/references/${name}.ts`], { UPSTREAM: upstream, PORT: '0', NODE_ENV: 'production', ...env }, /reference ready at (\S+)/);

/** A process's resident memory now and at its peak, in MB, from /proc. */
export async function memoryOf(child: ChildProcess): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * The CPU time a process has used so far (user and system, all its threads: the event loop, the garbage
 * collector's helpers, libuv's pool), in microseconds, from /proc/<pid>/stat: another process's figure, read
 * without its help, for the service and the references alike. Far less sensitive to the machine's other load
 * than throughput: a process that waits for a core uses none.
 */
export async function cpuMicros(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch((error: unknown) => {
    throw child.exitCode !== null || child.signalCode !== null ? new Error(`a target exited (${child.spawnargs.slice(1).join(' ')}: ${child.exitCode ?? child.signalCode}); its output is above`) : error;
  });
  // The fields after the command name (which may hold spaces), from the 3rd on: utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

/** The sandbox's count of metadata requests so far. */
export async function upstreamRequests(upstream: string): Promise<number> {
  const response = await fetch(new URL('/_sandbox/stats', upstream));
  return ((await response.json()) as { metadataRequests: number }).metadataRequests;
}

/**
 * The upstream's request count once it has stopped moving for half a second: a timed run cuts off operations
 * in flight (of every target: they share the upstream), whose calls may still be arriving.
 */
export async function upstreamQuiet(upstream: string): Promise<number> {
  let last = await upstreamRequests(upstream);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await upstreamRequests(upstream);
    if (now === last) return now;
    last = now;
  }
}

/** The service's cache lookups so far, from its /metrics. */
export async function cacheLookups(serviceUrl: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(new URL('/metrics', serviceUrl))).text();
  const count = (result: string) => Number(new RegExp(`^ecs_image_graph_cache_lookups_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hits: count('hit'), misses: count('miss') };
}
