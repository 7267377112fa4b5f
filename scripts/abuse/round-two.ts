/**
 * Round two (issue 17): random operation and client names against /metrics and the process, the identity
 * provider hanging or down, a new junk token with every request from one address, and a signature failure that
 * echoes a temporary credential.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { request } from 'undici';
import { FAULTS } from '../../src/sandbox/faults.js';
import { agent, P, post, print, run, startService, UBUNTU, upstreamCalls, type Program } from './harness.js';

const randomName = () => `N${randomBytes(50).toString('hex').slice(0, 99)}`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export async function roundTwo(sandbox: Program, { seconds, namesSeconds, keySetHangSeconds }: { seconds: number; namesSeconds: number; keySetHangSeconds: number }): Promise<void> {
  await randomNames(sandbox, namesSeconds);
  await identityProvider(sandbox, seconds, keySetHangSeconds);
  await rotatingJunkTokens(sandbox, seconds);
  await echoedCredential();
}

/**
 * Random 100-character operation and client names at full speed, each request selecting a deprecated field, half
 * of them with a token (passthrough: identified) and half without: /metrics' size and render time at the end,
 * /healthz's p99 throughout (asked by a bystander), and RSS and the heap after a full GC (through the inspector):
 * at the start, after 5 s of the same load under one fixed name (the code the JIT compiles and the pools that grow
 * for any traffic), and after the flood. The flood's own growth is the last against the second.
 */
async function randomNames(sandbox: Program, seconds: number): Promise<void> {
  const service = await startService({ ECS_ENDPOINT: sandbox.url.href }, { nodeArgs: ['--inspect=127.0.0.1:0'], stderrReady: /Debugger listening on (ws:\S+)/ });
  const inspector = await connectInspector(service.stderrMatch![1]!);
  const start = await inspector.afterGc();
  // The reference: the same load under one ordinary name, with the same bystander asking /healthz.
  const ordinaryHealth: number[] = [];
  await flood(service.url, WARM_UP_SECONDS, () => 'Ordinary', ordinaryHealth);
  const warm = await inspector.afterGc();
  const health: number[] = [];
  const requests = await flood(service.url, seconds, randomName, health);
  const rendered = performance.now();
  const metrics = await (await request(new URL('/metrics', service.url), { dispatcher: agent })).body.text();
  const renderMs = performance.now() - rendered;
  const after = await inspector.afterGc();
  health.sort((a, b) => a - b);
  ordinaryHealth.sort((a, b) => a - b);
  print(`random names, ${seconds} s, 16 loops`, `${requests} requests; /metrics ${(Buffer.byteLength(metrics) / 1024).toFixed(0)} KB, rendered in ${renderMs.toFixed(0)} ms`);
  print('  /healthz during the flood', `p50 ${percentile(health, 0.5).toFixed(1)} ms, p99 ${percentile(health, 0.99).toFixed(1)} ms, worst ${(health.at(-1) ?? 0).toFixed(1)} ms (${health.length} probes)`);
  print(`  /healthz under the same load, one name (${WARM_UP_SECONDS} s)`, `p50 ${percentile(ordinaryHealth, 0.5).toFixed(1)} ms, p99 ${percentile(ordinaryHealth, 0.99).toFixed(1)} ms (${ordinaryHealth.length} probes)`);
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  const memory = (at: Memory) => `${mb(at.rss)} MB (heap ${mb(at.heapUsed)})`;
  print('  RSS after a full GC', `start ${memory(start)}, warm ${memory(warm)}, after ${memory(after)}: the flood +${mb(after.rss - warm.rss)} MB, heap +${mb(after.heapUsed - warm.heapUsed)} MB`);
  inspector.close();
  service.child.kill('SIGTERM');
}

const WARM_UP_SECONDS = 10;

/**
 * 16 loops posting queries named by `name()` (and a client name alike, half of them with an empty token) for
 * `seconds`; with `health`, a bystander's /healthz latencies meanwhile. @returns the queries sent.
 */
async function flood(url: URL, seconds: number, name: () => string, health?: number[]): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let requests = 0;
  const loops = Array.from({ length: 16 }, async (_, loop) => {
    while (performance.now() < until) {
      await post(url, { query: `query ${name()} { image(projectId: "${P}", id: "${UBUNTU}") { osType osBit platform } }` }, loop % 2 ? { 'graphql-client-name': name() } : { 'graphql-client-name': name(), 'x-auth-token': '' });
      requests += 1;
    }
  });
  if (health) health.push(...(await probeHealth(new URL('/healthz', url), until - performance.now())));
  await Promise.all(loops);
  return requests;
}

/**
 * A bystander asking `url` every 20 ms for `ms`, from a thread of its own, as a kubelet probes from a process of its
 * own: its latencies are the service's, not those of this thread's event loop, busy with the flood's 16 loops.
 */
async function probeHealth(url: URL, ms: number): Promise<number[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const latencies = [];
      const until = performance.now() + workerData.ms;
      while (performance.now() < until) {
        const started = performance.now();
        await (await fetch(workerData.url)).arrayBuffer();
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      parentPort.postMessage(latencies);
    })();`,
    { eval: true, workerData: { url: url.href, ms } },
  );
  const [latencies] = (await once(worker, 'message')) as [number[]];
  await worker.terminate();
  return latencies;
}

interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
}

/** The inspector of a process: a full GC, then its RSS and heap used (process.memoryUsage()). */
async function connectInspector(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const mine = (id += 1);
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
        if (message.id !== mine) return;
        socket.removeEventListener('message', onMessage);
        resolve(message.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
  return {
    async afterGc(): Promise<Memory> {
      await call('HeapProfiler.collectGarbage');
      const { result } = (await call('Runtime.evaluate', { expression: '(({ rss, heapUsed }) => ({ rss, heapUsed }))(process.memoryUsage())', returnByValue: true })) as {
        result: { value: Memory };
      };
      return result.value;
    },
    close: () => socket.close(),
  };
}

/** A JSON Web Key Set whose host serves, hangs or fails on demand, counting fetches; and tokens it verifies. */
async function startKeySet() {
  const keys = await generateKeyPair('RS256');
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256' }] });
  let behaviour: 'serve' | 'hang' | 'fail' = 'serve';
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches += 1;
    if (behaviour === 'serve') response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else if (behaviour === 'fail') response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://idp.example/').setAudience('images').setIssuedAt().setExpirationTime('1h').sign(keys.privateKey);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    token,
    behave: (next: typeof behaviour) => {
      behaviour = next;
    },
    get fetches() {
      return fetches;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * Service mode with JWT callers. Keys known and older than the refresh age while the key set hangs: every
 * request must still answer. No key known and the key set down: each request fails fast with its own code, and
 * the key set is asked once per backoff.
 */
async function identityProvider(sandbox: Program, seconds: number, hangSeconds: number): Promise<void> {
  const keySet = await startKeySet();
  const env = (refreshSeconds: number) => ({
    ECS_ENDPOINT: sandbox.url.href,
    AUTH_MODE: 'service',
    HUAWEICLOUD_SDK_AK: 'AKEXAMPLE',
    HUAWEICLOUD_SDK_SK: 'sk-example',
    ALLOWED_PROJECT_IDS: P,
    JWT_JWKS_URL: keySet.url,
    JWT_ISSUER: 'https://idp.example/',
    JWT_AUDIENCE: 'images',
    JWT_JWKS_REFRESH_SECONDS: String(refreshSeconds),
  });
  const ask = (url: URL) => post(url, { query: `{ image(projectId: "${P}", id: "${UBUNTU}") { id } }` }, { authorization: `Bearer ${keySet.token}` });
  const loops = async (url: URL, forSeconds = seconds) => {
    const until = performance.now() + forSeconds * 1000;
    const outcomes = new Map<string, number>();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) {
          const answer = await ask(url);
          const outcome = answer.code ?? 'answered';
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          times.push(answer.ms);
        }
      }),
    );
    times.sort((a, b) => a - b);
    return { outcomes: Object.fromEntries(outcomes), worstMs: Math.round(times.at(-1) ?? 0), p50Ms: Math.round(percentile(times, 0.5)) };
  };

  const cached = await startService(env(10));
  await ask(cached.url); // the keys, fetched
  keySet.behave('hang');
  const fetchesBefore = keySet.fetches;
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // past the refresh age
  const hanging = await loops(cached.url, hangSeconds);
  print(`key set hanging, keys known (refresh every 10 s), ${hangSeconds} s`, `${JSON.stringify(hanging.outcomes)}; p50 ${hanging.p50Ms} ms, worst ${hanging.worstMs} ms; ${keySet.fetches - fetchesBefore} fetches`);
  cached.child.kill('SIGTERM');

  keySet.behave('fail');
  const cold = await startService(env(600));
  const started = keySet.fetches;
  const down = await loops(cold.url);
  print(`key set answering 500, no key known, ${seconds} s`, `${JSON.stringify(down.outcomes)}; p50 ${down.p50Ms} ms, worst ${down.worstMs} ms; ${keySet.fetches - started} fetches`);
  keySet.behave('hang');
  const hungCold = await startService(env(600));
  const hungStarted = keySet.fetches;
  const hung = await loops(hungCold.url);
  print(`key set hanging, no key known, ${seconds} s`, `${JSON.stringify(hung.outcomes)}; p50 ${hung.p50Ms} ms, worst ${hung.worstMs} ms; ${keySet.fetches - hungStarted} fetches`);
  for (const program of [cold, hungCold]) program.child.kill('SIGTERM');
  keySet.close();
}

/** One address sending a new junk token with every request, in 4 loops: how many reach the upstream as a 401. */
async function rotatingJunkTokens(sandbox: Program, seconds: number): Promise<void> {
  const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
  const calls = await upstreamCalls(service.url, '401');
  const until = performance.now() + seconds * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < until) {
        await post(service.url, { query: `{ image(projectId: "${P}", id: "${FAULTS.unauthorized.imageId}") { id } }` }, { 'x-auth-token': `junk-${randomName()}` });
        requests += 1;
      }
    }),
  );
  print(`a new junk token per request, one address, ${seconds} s`, `${(await upstreamCalls(service.url, '401')) - calls} upstream 401s (${requests} requests; limit 20 a minute)`);
  service.child.kill('SIGTERM');
}

/**
 * Service mode with temporary credentials and a wrong secret, against a sandbox that checks signatures: the
 * gateway's APIGW.0303 answer echoes the canonical request, security token included. Is any part of it in the
 * response, or in the service's log?
 */
async function echoedCredential(): Promise<void> {
  const token = `gQpjbi1ub3J0aC00${randomBytes(48).toString('base64url')}`;
  const checking = await run('src/sandbox/main.ts', /listening at (\S+?)"/, { SANDBOX_ACCESS_KEY: 'AKEXAMPLE', SANDBOX_SECRET_KEY: 'the-right-secret' });
  const service = await startService({
    ECS_ENDPOINT: checking.url.href,
    AUTH_MODE: 'service',
    SERVICE_CALLER_AUTH: 'network',
    HUAWEICLOUD_SDK_AK: 'AKEXAMPLE',
    HUAWEICLOUD_SDK_SK: 'a-wrong-secret',
    HUAWEICLOUD_SDK_SECURITY_TOKEN: token,
    ALLOWED_PROJECT_IDS: P,
    LOG_LEVEL: 'debug',
  });
  let log = '';
  service.child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const answer = await post(service.url, { query: `{ image(projectId: "${P}", id: "${UBUNTU}") { id } }` });
  await new Promise((resolve) => setTimeout(resolve, 200)); // the log is written in batches, every 100 ms
  const parts = Array.from({ length: token.length - 11 }, (_, start) => token.slice(start, start + 12));
  const leaked = (text: string) => parts.filter((part) => text.includes(part)).length;
  const message = /"message":"([^"]*)","requestId"/.exec(answer.text)?.[1];
  print('APIGW.0303 with a security token: 12-character parts of it', `in the response ${leaked(answer.text)}, in the log ${leaked(log)} (the upstream message passed: "${message}")`);
  service.child.kill('SIGTERM');
  checking.child.kill('SIGTERM');
}
