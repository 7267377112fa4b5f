/**
 * The image, tested as an image (`npm run test:container`): builds the Dockerfile (the production image, and the
 * demo target whose sandbox plays the upstream), then runs the production image as an operator would and checks
 * what only a container shows. Needs a Docker engine (`eval "$(../shared/container/local-docker.sh)"` starts one
 * on a machine without a registry) and takes minutes: it is not part of `npm test`. Exits 1 on the first failure.
 *
 * Checks: the image runs as uid 1000, with a read-only root filesystem; `docker stop` drains and exits 0 within the
 * grace period with no request lost; and the memory soak: under `--memory` (256 MiB, then 512 MiB), with the
 * defaults, 100 connections asking for fresh image ids for `--soak-seconds` (180): never OOM-killed, 0 failed
 * operations, the container's memory printed every 10 s.
 * Usage: npm run test:container [-- --soak-seconds 180 --memory 256,512 --no-build]
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Agent, request } from 'undici';
import { SAMPLE_PROJECT_ID } from '../src/sandbox/samples.js';
import { freePort } from '../test/helpers/redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = 'ecs-image-graph:test';
const DEMO = 'ecs-image-graph:test-demo';
const { values } = parseArgs({
  options: {
    'soak-seconds': { type: 'string', default: '180' },
    memory: { type: 'string', default: '256,512' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('npm run test:container [-- --soak-seconds 180 --memory 256,512 --no-build]\n');
  process.exit(0);
}

const docker = async (...args: string[]) => (await promisify(execFile)('docker', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
const started: string[] = [];
process.once('exit', () => {
  for (const id of started) spawn('docker', ['rm', '-f', id], { stdio: 'ignore' });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
let failures = 0;
function check(what: string, ok: boolean, detail: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`);
  if (!ok) failures += 1;
}

/** Runs a container in the background (host network: the engine here has no bridge), and its id. */
async function run(image: string, env: Record<string, string>, flags: string[] = [], command: string[] = []): Promise<string> {
  const id = await docker('run', '-d', '--network', 'host', ...flags, ...Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]), image, ...command);
  started.push(id);
  return id;
}

/** Resolves once `url` answers 200, or fails after `seconds`. */
async function answers(url: string, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const response = await request(url);
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const query = () => JSON.stringify({ query: `{ image(projectId: "${SAMPLE_PROJECT_ID}", id: "${randomUUID()}") { id osType osBit } }` });

/**
 * `connections` loops asking for fresh ids until `stop()`: operations answered, and failures by kind (a status
 * other than 200, a GraphQL error, a connection that broke with a request on it, a connection refused). With
 * `readyz`, the loops send as a load balancer would: nothing new once /readyz answers 503 (polled every 100 ms), so
 * that no connection is still arriving when the server stops accepting (the kernel resets those it had not
 * accepted yet: what a load balancer's health check exists to avoid).
 */
function load(url: string, connections: number, readyz?: string) {
  const agent = new Agent({ connections, keepAliveTimeout: 30_000 });
  const counts = { answered: 0, status: 0, graphqlErrors: 0, broken: 0, refused: 0, why: new Set<string>() };
  let running = true;
  let ready = true;
  const poller = readyz
    ? setInterval(() => {
        request(readyz).then(
          (response) => {
            ready = response.statusCode === 200;
            return response.body.dump();
          },
          () => (ready = false),
        );
      }, 100)
    : undefined;
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      if (!ready) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      try {
        const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', 'x-auth-token': 'one-caller' }, body: query() });
        const body = await response.body.text();
        if (response.statusCode !== 200) counts.status += 1;
        else if (body.includes('"errors"')) counts.graphqlErrors += 1;
        else counts.answered += 1;
      } catch (error) {
        if ((error as { code?: string }).code === 'ECONNREFUSED') {
          counts.refused += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
        } else {
          counts.broken += 1;
          counts.why.add(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
        }
      }
    }
  });
  return {
    counts,
    async stop() {
      running = false;
      clearInterval(poller);
      await Promise.all(loops);
      await agent.close();
      return counts;
    },
  };
}

/** The container's memory as the kernel counts it (what its limit is held to), in MiB. */
async function memoryMiB(id: string): Promise<number> {
  const usage = await docker('stats', '--no-stream', '--format', '{{.MemUsage}}', id); // "123.4MiB / 256MiB"
  const [amount = '0', unit = ''] = /^([\d.]+)\s*([KMG]i?B)/.exec(usage)?.slice(1) ?? [];
  return Number(amount) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024 } as Record<string, number>)[unit]!;
}

if (!values['no-build']) {
  const building = Date.now();
  await docker('build', '--network', 'host', '-t', IMAGE, '.');
  await docker('build', '--network', 'host', '--target', 'demo', '-t', DEMO, '.');
  console.log(`built ${IMAGE} and ${DEMO} in ${Math.round((Date.now() - building) / 1000)} s`);
}
console.log(`${IMAGE}: ${(Number(await docker('image', 'inspect', '-f', '{{.Size}}', IMAGE)) / 2 ** 20).toFixed(0)} MiB; ${DEMO}: ${(Number(await docker('image', 'inspect', '-f', '{{.Size}}', DEMO)) / 2 ** 20).toFixed(0)} MiB`);

// The upstream: the demo target's sandbox, where every image id exists (fresh ids are new images).
const sandboxPort = await freePort();
await run(DEMO, { PORT: String(sandboxPort), SANDBOX_ANY_IMAGE: 'true' }, [], ['node', 'dist/sandbox/main.js']);
await answers(`http://127.0.0.1:${sandboxPort}/healthz`);
const upstream = { ECS_ENDPOINT: `http://127.0.0.1:${sandboxPort}`, UPSTREAM_CALLS_PER_CALLER_PER_SECOND: '0' };

// Who it runs as, on a read-only root filesystem; and a production image with no upstream refuses to start.
{
  const port = await freePort();
  const id = await run(IMAGE, { ...upstream, PORT: String(port) }, ['--read-only']);
  const url = `http://127.0.0.1:${port}`;
  await answers(`${url}/healthz`);
  const user = await docker('exec', id, 'id', '-u');
  check('runs as a non-root user', user === '1000', `uid ${user}`);
  const response = await request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': 't' }, body: query() });
  const body = await response.body.text();
  check('answers on a read-only root filesystem, no tmpfs', response.statusCode === 200 && body.includes('"osType":"LINUX"'), `${response.statusCode} ${body.slice(0, 120)}`);
  await docker('rm', '-f', id);
  const refused = await promisify(execFile)('docker', ['run', '--rm', '--network', 'host', '-e', `PORT=${await freePort()}`, IMAGE]).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  check('refuses to start in production with no upstream (no sample data served by mistake)', refused.code === 1 && refused.stderr.includes('ECS_ENDPOINT'), refused.stderr.trim().split('\n').join(' / '));
}

// docker stop under load: /readyz turns 503 for the drain, operations in flight finish, exit 0.
{
  const port = await freePort();
  const id = await run(IMAGE, { ...upstream, PORT: String(port), SHUTDOWN_DRAIN_MS: '2000', SHUTDOWN_GRACE_MS: '10000' }, ['--read-only']);
  const url = `http://127.0.0.1:${port}`;
  await answers(`${url}/healthz`);
  const traffic = load(`${url}/graphql`, 20, `${url}/readyz`);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const stopping = Date.now();
  await docker('stop', '-t', '30', id);
  const stopSeconds = (Date.now() - stopping) / 1000;
  const counts = await traffic.stop();
  const exitCode = await docker('inspect', '-f', '{{.State.ExitCode}}', id);
  check('docker stop drains and exits 0 within the grace period', exitCode === '0' && stopSeconds < 30, `exit ${exitCode} after ${stopSeconds.toFixed(1)} s`);
  check(
    'no request lost during the stop (clients that stop sending when /readyz says 503, as a load balancer does)',
    counts.broken + counts.status + counts.graphqlErrors + counts.refused === 0,
    `${counts.answered} answered, ${counts.broken} broken${counts.broken ? ` (${[...counts.why].join('; ')})` : ''}, ${counts.status} non-200, ${counts.graphqlErrors} with errors, ${counts.refused} refused`,
  );
  await docker('rm', '-f', id);
}

// The memory soak, as a pod with a memory limit runs it: the defaults, and nothing but the limit.
for (const limit of values.memory.split(',').map(Number)) {
  const port = await freePort();
  const id = await run(IMAGE, { ...upstream, PORT: String(port) }, ['--read-only', '--memory', `${limit}m`, '--memory-swap', `${limit}m`]);
  const url = `http://127.0.0.1:${port}`;
  await answers(`${url}/healthz`);
  const metrics = await (await request(`${url}/metrics`)).body.text();
  const budget = (kind: string) => Number(new RegExp(`^ecs_image_graph_memory_limit_bytes\\{kind="${kind}"\\} (\\d+)`, 'm').exec(metrics)?.[1]) / 2 ** 20;
  console.log(`--memory ${limit}m: limit ${budget('limit').toFixed(0)} MiB, heap limit ${budget('heap').toFixed(0)} MiB, cache ${budget('cache').toFixed(0)} MiB`);
  const traffic = load(`${url}/graphql`, 100);
  const curve: string[] = [];
  const soakStarted = Date.now();
  let peak = 0;
  while (Date.now() - soakStarted < Number(values['soak-seconds']) * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const state = await docker('inspect', '-f', '{{.State.Running}} {{.State.OOMKilled}}', id);
    if (state !== 'true false') break;
    const mib = await memoryMiB(id);
    peak = Math.max(peak, mib);
    curve.push(`${Math.round((Date.now() - soakStarted) / 1000)}s ${mib.toFixed(0)}`);
  }
  const counts = await traffic.stop();
  const state = await docker('inspect', '-f', '{{.State.Running}} {{.State.OOMKilled}} {{.State.ExitCode}}', id);
  const seconds = (Date.now() - soakStarted) / 1000;
  console.log(`  memory (MiB) every 10 s: ${curve.join(', ')}`);
  check(`${limit} MiB, 100 connections of fresh ids for ${values['soak-seconds']} s: never OOM-killed`, state.startsWith('true false'), `running/OOM-killed/exit: ${state}; peak ${peak.toFixed(0)} MiB`);
  check(
    `${limit} MiB: 0 failed operations`,
    counts.status + counts.graphqlErrors + counts.broken + counts.refused === 0,
    `${counts.answered} answered (${Math.round(counts.answered / seconds)}/s), ${counts.status} non-200, ${counts.graphqlErrors} with errors, ${counts.broken} broken, ${counts.refused} refused`,
  );
  await docker('rm', '-f', id);
}

console.log(failures === 0 ? '\nall checks passed' : `\n${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
