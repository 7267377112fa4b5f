import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The programs, exactly as the Dockerfile and docker-compose.yml run them: the service and the sandbox compiled, the demo subgraph from its source. */
export const PROGRAMS = {
  service: { command: ['node', 'dist/main.js'], ready: /GraphQL endpoint ready at (\S+)/ },
  sandbox: { command: ['node', 'dist/sandbox/main.js'], ready: /sandbox of ECS and IMS listening at (\S+)/ },
  servers: { command: ['node', '--import', 'tsx', 'examples/servers-subgraph/main.ts'], ready: /sample servers subgraph listening at (\S+)/ },
} as const;

export type Program = keyof typeof PROGRAMS;

export interface RunningProgram {
  /** The URL the program logged when it was ready. */
  readonly url: URL;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly process: ChildProcess;
  /** Resolves with the first log line (written already or still to come) that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs a compiled program as a real process with only the given environment (and PORT=0 unless given),
 * and waits for its "ready" log line.
 */
export function startProgram(program: Program, env: Record<string, string> = {}): Promise<RunningProgram> {
  const [node, ...args] = PROGRAMS[program].command;
  const child = spawn(node === 'node' ? process.execPath : node, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (match: (line: Record<string, unknown>) => boolean) => {
    const seen = logs.find(match);
    return seen ? Promise.resolve(seen) : new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve }));
  };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        for (const waiter of waiters.filter((candidate) => candidate.match(entry))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
        const ready = PROGRAMS[program].ready.exec(String(entry['msg']));
        if (ready?.[1]) {
          resolve({
            url: new URL(ready[1]),
            logs,
            process: child,
            waitForLog,
            exited,
            stop: () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`${program} exited with ${code} before it was ready:\n${stderr}`)));
  });
}

/** The compiled service, as `npm start` runs it. */
export const startService = (env: Record<string, string>) => startProgram('service', env);

/** Runs the compiled service expecting it to refuse to start; resolves with its exit code and output. */
export function runServiceToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const [, ...args] = PROGRAMS.service.command;
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout })));
}
