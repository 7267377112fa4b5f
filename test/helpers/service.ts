import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Compiles the service as `npm start` does (its prestart step). */
export async function buildService(): Promise<void> {
  await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT });
}

export interface RunningService {
  /** The GraphQL endpoint the service logged as ready. */
  readonly url: URL;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly process: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the compiled service (`node dist/main.js`, what `npm start` runs) as a real process with only the
 * given environment, and waits for its "ready" log line.
 */
export function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
        const ready = /GraphQL endpoint ready at (\S+)/.exec(String(entry['msg']));
        if (ready?.[1]) {
          resolve({
            url: new URL(ready[1]),
            logs,
            process: child,
            stop: () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`the service exited with ${code} before it was ready:\n${stderr}`)));
  });
}

/** Runs the compiled service expecting it to refuse to start; resolves with its exit code and stderr. */
export function runServiceToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout })));
}
