import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startHAProxy, type HAProxy } from '../helpers/haproxy.js';
import { freePort } from '../helpers/redis.js';
import { startService, type RunningProgram } from '../helpers/service.js';

// A rolling restart behind a real load balancer: HAProxy in front of 3 replicas, each the compiled service as a process
// of its own (as `npm start` runs it), under steady load. Each replica in turn gets SIGTERM (as Kubernetes sends it),
// exits, and a new one takes its port, as a Deployment's rollout replaces pods one by one. Then one gets SIGKILL.
//
// What makes the restart lose nothing: the replica's own shutdown (SHUTDOWN_DRAIN_MS: /readyz answers 503 while it
// still accepts and answers; then it stops accepting and finishes what is in flight), and HAProxy's settings
// (test/helpers/haproxy.ts): a check of /readyz every 100 ms, out after 2 failures (fall 2), in after 2 successes
// (rise 2), and `retries 3` with `option redispatch` for a connection refused by a replica that stopped accepting.
// At the SIGKILL, also `retry-on conn-failure empty-response` and `option http-server-close`: the helper says why.
// Kubernetes does it otherwise (deploy/kubernetes/base/deployment.yaml): it removes a terminating pod from the
// Service's endpoints itself, without waiting for a probe, but kube-proxy, the ingress and an ELB learn of it seconds
// later, so the pod sleeps (preStop, 5 s) before the SIGTERM that starts the drain, and its readinessProbe keeps a new
// pod out of the endpoints until /readyz answers 200. Nothing in Kubernetes retries a refused connection: that is
// why the drain must outlast the endpoints' propagation there.

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const REPLICAS = 3;
/** One request every 10 ms: 100 a second, a steady load that leaves the 2 cores of CI room to start a replica. */
const EVERY_MS = 10;
const BODY = JSON.stringify({ query: `query Image { image(projectId: "${P}", id: "${DOC}") { id osType } }` });
const ANSWER = JSON.stringify({ data: { image: { id: DOC, osType: 'LINUX' } } });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

/** A replica on `port`: short drain and grace, so that the test takes seconds. */
const startReplica = (port: number) =>
  startService({ ECS_ENDPOINT: sandbox.url.href, PORT: String(port), SHUTDOWN_DRAIN_MS: '1000', SHUTDOWN_GRACE_MS: '5000' });

interface Sent {
  readonly loadId: string;
  readonly startedAt: number;
  readonly ms: number;
  /** Why the request failed (a status, a GraphQL error, a network error), or undefined. */
  readonly failure: string | undefined;
}

/**
 * Steady load through `url` until `stop()`: one request every `EVERY_MS` (100 a second), whether or not the earlier
 * ones are answered, as independent clients send them; every request, its latency and whether it failed.
 */
function steadyLoad(url: URL) {
  const sent: Sent[] = [];
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const pending = new Set<Promise<void>>();
  let n = 0;
  const send = async (loadId: string) => {
    const startedAt = performance.now();
    let failure: string | undefined;
    try {
      const response = await request(new URL('/graphql', url), {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-auth-token': 'steady-caller', 'x-load-id': loadId },
        body: BODY,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200 || text !== ANSWER) failure = `${response.statusCode} ${text.slice(0, 200)}`;
    } catch (error) {
      failure = String(error);
    }
    sent.push({ loadId, startedAt, ms: performance.now() - startedAt, failure });
  };
  const ticker = setInterval(() => {
    const request = send(String((n += 1))).finally(() => pending.delete(request));
    pending.add(request);
  }, EVERY_MS);
  return {
    sent,
    /** How many requests are waiting for their answer now. */
    inFlight: () => pending.size,
    /** Resolves once this many more requests have been answered. */
    async answered(count: number) {
      const target = sent.length + count;
      while (sent.length < target) await new Promise((resolve) => setImmediate(resolve));
    },
    async stop() {
      clearInterval(ticker);
      await Promise.all(pending);
      await agent.close();
    },
  };
}

const p99 = (requests: readonly Sent[]) => {
  const sorted = requests.map((request) => request.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? NaN;
};

describe('3 replicas behind HAProxy with health checks on /readyz, under steady load', () => {
  let haproxy: HAProxy;
  const replicas: RunningProgram[] = [];
  afterAll(async () => {
    await haproxy?.stop();
    const running = replicas.filter((replica) => replica.process.exitCode === null && replica.process.signalCode === null);
    await Promise.all(running.map((replica) => replica.stop()));
  });

  it('lose 0 requests while each replica in turn is replaced (SIGTERM, then a new one); a SIGKILL loses only what was in flight on it', { timeout: 120_000 }, async () => {
    const ports = await Promise.all(Array.from({ length: REPLICAS }, () => freePort()));
    replicas.push(...(await Promise.all(ports.map(startReplica))));
    haproxy = await startHAProxy(ports);
    for (let n = 0; n < REPLICAS; n += 1) await haproxy.waitFor(`r${n}`, 'UP');

    const load = steadyLoad(haproxy.url);
    await load.answered(100);
    const rollingFrom = load.sent.length;
    for (let n = 0; n < REPLICAS; n += 1) {
      const old = replicas[n]!;
      old.process.kill('SIGTERM');
      await haproxy.waitFor(`r${n}`, 'DOWN');
      expect(await old.exited).toBe(0);
      replicas[n] = await startReplica(ports[n]!);
      await haproxy.waitFor(`r${n}`, 'UP');
      // The new replica takes its share before the next one goes.
      await load.answered(50);
    }
    const rolling = load.sent.slice(rollingFrom);

    // SIGKILL: no drain, no goodbye. A request whose answer had begun fails; the next ones find its port closed, or
    // its dying socket answering nothing, and are sent again to another replica, until 2 checks have failed and
    // HAProxy stops choosing it.
    const killedFrom = load.sent.length;
    const killedAt = performance.now();
    const inFlightAtKill = load.inFlight();
    replicas[1]!.process.kill('SIGKILL');
    await replicas[1]!.exited;
    await haproxy.waitFor('r1', 'DOWN');
    await load.answered(100);
    await load.stop();
    const afterKill = load.sent.slice(killedFrom);

    const failedWhileRolling = rolling.filter((sent) => sent.failure !== undefined);
    const failedAtKill = afterKill.filter((sent) => sent.failure !== undefined);
    const logged = new Map(haproxy.requests.map((entry) => [entry.loadId, entry]));
    console.log(
      `HAProxy, ${REPLICAS} replicas, ${1000 / EVERY_MS} requests/s: rolling restart: ${failedWhileRolling.length} of ${rolling.length} requests failed, p99 ${p99(rolling).toFixed(1)} ms; ` +
        `SIGKILL of one: ${failedAtKill.length} failed of ${inFlightAtKill} in flight (${failedAtKill.map((sent) => `${sent.failure} on ${logged.get(sent.loadId)?.server ?? '?'}`).join(', ') || 'none'}), ` +
        `p99 ${p99(afterKill).toFixed(1)} ms over the ${afterKill.length} after it; throughout: ${load.sent.length} requests, p99 ${p99(load.sent).toFixed(1)} ms; ` +
        `sent again to another replica (HAProxy's log): ${haproxy.requests.filter((entry) => entry.retries.startsWith('+')).length}`,
    );

    expect(failedWhileRolling.map((sent) => sent.failure)).toEqual([]);
    // A request that fails at the kill was in flight on the killed replica, its answer begun: it started before the
    // kill, and there were no more of them than requests in flight then (on every replica: a bound of those on r1).
    // Those sent to r1 after the kill, before the checks took it out, were sent again to another replica.
    expect(failedAtKill.filter((sent) => sent.startedAt >= killedAt)).toEqual([]);
    expect(failedAtKill.length).toBeLessThanOrEqual(inFlightAtKill);
  });
});
