import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig, SETTING_NAMES, type Config } from '../../src/config/index.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { startService } from '../../src/server/start.js';
import { nameOf, render, schemaProblems, type KubernetesObject } from '../helpers/kubernetes.js';

// deploy/kubernetes/, rendered by kubectl as `kubectl apply -k` would send it, then held to the Kubernetes API schemas
// (offline: no cluster here or in CI) and to the service's own code: its settings, its ports and paths, its shutdown
// and its memory.

const OVERLAYS = ['sandbox', 'production'] as const;
type Overlay = (typeof OVERLAYS)[number];

/** The service's Deployment and container, by the name every manifest gives them. */
const SERVICE = 'ecs-image-graph';

/**
 * What the operator's Secret holds (docs/deploying.md) for an overlay that does not generate it: placeholders, in the
 * shape the service checks. The AK/SK are left out, as passthrough (the default) needs none.
 */
const PLACEHOLDER_SECRETS: Readonly<Record<string, string>> = {
  REDIS_URL: 'redis://redis.example.internal:6379/0',
  CACHE_KEY_SECRET: 'placeholder-cache-key-secret-of-32-characters',
};

/**
 * After the 5 s preStop sleep, the drain and the grace period, the service still closes the connection pools and
 * Redis and flushes its logs and traces before it exits 0: what terminationGracePeriodSeconds must leave it, beyond
 * the sum, before the kubelet's SIGKILL.
 */
const SHUTDOWN_CLOSE_SECONDS = 5;

/**
 * Memory the process needs outside V8's heap, which NODE_OPTIONS caps at a share of the container's limit: module code,
 * Buffers, sockets, compression state, V8's own overhead. Measured in the production image under a 256m limit (the
 * cgroup's anonymous memory minus V8's committed heap, after 200 queries, twenty 100-image operations and ten
 * /metrics): about 25 MiB. The rest is for what many responses in flight hold at once (compressing, writing).
 */
const OFF_HEAP_MIB = 96;

/**
 * What GraphiQL adds off the heap once opened: its 47 files compressed and held as Buffers, and what compressing them
 * left in malloc. Measured the same way: about 47 MiB more than without it.
 */
const GRAPHIQL_OFF_HEAP_MIB = 64;

const renders = new Map<Overlay, Promise<KubernetesObject[]>>();
/** An overlay's objects, rendered once for the whole file. */
function rendered(overlay: Overlay): Promise<KubernetesObject[]> {
  if (!renders.has(overlay)) renders.set(overlay, render(`deploy/kubernetes/overlays/${overlay}`));
  return renders.get(overlay)!;
}

// The few fields these tests read, as the API defines them (schemaProblems has checked the rest).
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  resources?: { limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
}
interface PodSpec {
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
}
interface Deployment extends KubernetesObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface Service extends KubernetesObject {
  spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> };
}

const find = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string, name: string): T => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found as T;
};
const ofKind = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string) => objects.filter((object) => object.kind === kind) as T[];

/** The service's Deployment and its container. */
function workload(objects: KubernetesObject[]) {
  const deployment = find<Deployment>(objects, 'Deployment', SERVICE);
  const container = deployment.spec.template.spec.containers.find((candidate) => candidate.name === SERVICE);
  if (!container) throw new Error(`Deployment ${SERVICE} has no container ${SERVICE}`);
  return { deployment, pod: deployment.spec.template.spec, container };
}

/** The container's port `port` (a name or a number) as a number, or undefined when it has no such port. */
const containerPort = (container: Container, port: string | number) =>
  typeof port === 'number' ? container.ports?.find((candidate) => candidate.containerPort === port)?.containerPort : container.ports?.find((candidate) => candidate.name === port)?.containerPort;

/**
 * The environment the container gets (its ConfigMap, its own values, its Secret's keys: the generated Secret's, or the
 * placeholders of the one the operator creates), the Config the service makes of it, and what is wrong with it: each
 * problem names the variable and where it comes from.
 */
function settingsOf(objects: KubernetesObject[]): { env: Record<string, string>; config: Config | undefined; problems: string[] } {
  const { container } = workload(objects);
  const problems: string[] = [];
  const env: Record<string, string> = {};
  /** Where each variable comes from, for the messages. */
  const sources: Record<string, string> = {};
  const fromSecret = new Set(container.env?.flatMap(({ name, valueFrom }) => (valueFrom?.secretKeyRef ? [name] : [])));
  for (const { configMapRef } of container.envFrom ?? []) {
    if (!configMapRef) continue;
    const configMap = find<KubernetesObject & { data?: Record<string, string> }>(objects, 'ConfigMap', configMapRef.name);
    for (const [variable, value] of Object.entries(configMap.data ?? {})) {
      if (!SETTING_NAMES.has(variable)) problems.push(`${nameOf(configMap)}: ${variable} is not a setting the service reads (src/config/)`);
      else if (fromSecret.has(variable)) problems.push(`${nameOf(configMap)}: ${variable} belongs in the Secret, where the Deployment takes it from`);
      env[variable] = value;
      sources[variable] = nameOf(configMap);
    }
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (!SETTING_NAMES.has(name)) problems.push(`Deployment ${SERVICE}: ${name} is not a setting the service reads (src/config/)`);
    if (value !== undefined) [env[name], sources[name]] = [value, `Deployment ${SERVICE}`];
    const ref = valueFrom?.secretKeyRef;
    if (!ref) continue;
    const secret = objects.find((object) => object.kind === 'Secret' && object.metadata.name === ref.name) as (KubernetesObject & { data?: Record<string, string> }) | undefined;
    const generated = secret?.data?.[ref.key];
    const placeholder = secret ? undefined : PLACEHOLDER_SECRETS[ref.key];
    if (generated !== undefined) env[name] = Buffer.from(generated, 'base64').toString('utf8');
    else if (placeholder !== undefined) env[name] = placeholder;
    else if (ref.optional) continue;
    else if (secret) problems.push(`${nameOf(secret)}: has no key ${ref.key}, which the Deployment requires`);
    else problems.push(`Deployment ${SERVICE}: ${ref.key} of Secret ${ref.name} has no placeholder (PLACEHOLDER_SECRETS)`);
    sources[name] = `Secret ${ref.name} (${secret ? 'generated' : 'placeholder'})`;
  }
  let config: Config | undefined;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map(({ variable, message }) => `${sources[variable] ?? 'not set'}: ${variable}: ${message}`));
  }
  return { env, config, problems };
}

/** The settings and the Config, or a failure that lists what is wrong with them. */
function configOf(objects: KubernetesObject[]): { env: Record<string, string>; config: Config } {
  const { env, config, problems } = settingsOf(objects);
  if (!config) throw new Error(`the manifests' settings are refused:\n${problems.join('\n')}`);
  return { env, config };
}

/** The heap's share of the container's memory, from the production image's NODE_OPTIONS. */
async function heapPercentage(): Promise<number> {
  const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const production = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const percentage = /^ENV NODE_OPTIONS=--max-old-space-size-percentage=(\d+)$/m.exec(production)?.[1];
  if (percentage === undefined) throw new Error("the Dockerfile's last stage sets no ENV NODE_OPTIONS=--max-old-space-size-percentage=N");
  return Number(percentage);
}

/** A memory quantity (`256Mi`, `1Gi`, `300M`, bytes) in MiB. */
function mebibytes(quantity: string): number {
  const units: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  const [, number, unit] = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G|)$/.exec(quantity) ?? [];
  if (number === undefined || unit === undefined) throw new Error(`cannot read the memory quantity "${quantity}"`);
  return (Number(number) * units[unit]!) / 2 ** 20;
}

describe('deploy/kubernetes/, rendered and checked against the Kubernetes API schemas', () => {
  it.each(OVERLAYS)('overlays/%s renders, every object valid, with no field its schema does not define', async (overlay) => {
    const objects = await rendered(overlay);
    expect(objects.map(nameOf).length).toBeGreaterThan(0);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('the check names the object and the path of a misspelt field, a wrong value, and a kind it has no model for', async () => {
    const objects = structuredClone(await rendered('sandbox'));
    const { container } = workload(objects);
    (container.readinessProbe as Record<string, unknown>)['periodSecnds'] = 5;
    (workload(objects).deployment.spec as Record<string, unknown>)['replicas'] = 'two';
    expect([...objects, { apiVersion: 'v1', kind: 'Pot', metadata: { name: 'x' } }].flatMap(schemaProblems)).toEqual([
      `Deployment ${SERVICE}: /spec/replicas must be integer`,
      `Deployment ${SERVICE}: /spec/template/spec/containers/0/readinessProbe/periodSecnds is not a field of the API schema`,
      'Pot x: no model for v1 Pot to check it against (add it to MODELS in test/helpers/kubernetes.ts)',
    ]);
  });
});

describe('deploy/kubernetes/, held to the code', () => {
  it.each(OVERLAYS)('overlays/%s: every variable is a setting the service reads, with a value it accepts (secrets as the operator gives them)', async (overlay) => {
    const { problems, config } = settingsOf(await rendered(overlay));
    expect(problems).toEqual([]);
    expect(config?.server.host).toBe('0.0.0.0');
  });

  it('a value the service refuses, or a variable it does not read, fails the check, naming it', async () => {
    const objects = structuredClone(await rendered('production'));
    const configMap = objects.find((object) => object.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
    Object.assign(configMap.data, { LOG_LEVEL: 'loud', LOGLEVEL: 'debug' });
    expect(settingsOf(objects).problems).toEqual([
      `${nameOf(configMap)}: LOGLEVEL is not a setting the service reads (src/config/)`,
      `${nameOf(configMap)}: LOG_LEVEL: Value "loud" not in choices [fatal,error,warn,info,debug,trace,silent]`,
    ]);
  });

  it.each(OVERLAYS)('overlays/%s: the probes and the Service reach ports and paths the service, started from those settings, answers', async (overlay) => {
    const objects = await rendered(overlay);
    const { container } = workload(objects);
    const { env, config } = configOf(objects);
    expect(containerPort(container, 'http')).toBe(config.server.port);
    expect(containerPort(container, 'metrics')).toBe(config.telemetry.metricsPort);
    const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe].map((probe) => probe?.httpGet);
    for (const probe of probes) expect(probe && containerPort(container, probe.port)).toBe(config.server.port);
    // find() throws when the overlay has no such Service: the check cannot pass by having nothing to look at.
    for (const { name, targetPort } of find<Service>(objects, 'Service', SERVICE).spec.ports) expect(containerPort(container, targetPort), `Service port ${name}`).toBeDefined();

    // The real start (src/server/start.ts) from the same settings, on free loopback ports, with the sandbox standing in
    // for the upstream, no Redis (the unit tests have none) and no drain at the stop: nothing the probes depend on.
    const upstream = await startSandbox();
    const local = { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: env['METRICS_PORT'] ? '0' : '', REDIS_URL: '', SHUTDOWN_DRAIN_MS: '0' };
    const endpoints = env['ECS_ENDPOINT'] ? { ECS_ENDPOINT: upstream.url.href } : {};
    const service = await startService(loadConfig({ ...env, ...local, ...endpoints }), pino({ level: 'silent' }));
    try {
      for (const probe of probes) expect({ path: probe?.path, status: (await fetch(new URL(probe!.path, service.url))).status }).toEqual({ path: probe?.path, status: 200 });
      expect(service.metricsUrl).toBeDefined();
      expect(await (await fetch(service.metricsUrl!)).text()).toContain('ecs_image_graph_upstream_circuit_state');
    } finally {
      await service.stop();
      await upstream.close();
    }
  });

  it.each(OVERLAYS)('overlays/%s: the grace period covers preStop, drain and grace; the memory limit leaves room off the heap', async (overlay) => {
    const objects = await rendered(overlay);
    const { pod, container } = workload(objects);
    const { config } = configOf(objects);
    const preStop = container.lifecycle?.preStop;
    const preStopSeconds = preStop?.sleep?.seconds ?? Number(/^(?:\/bin\/)?sleep$/.test(preStop?.exec?.command[0] ?? '') ? preStop?.exec?.command[1] : Number.NaN);
    expect(preStopSeconds, 'preStop sleeps, so that endpoints are removed before the drain starts').toBeGreaterThan(0);
    const needed = preStopSeconds + (config.server.drainMs + config.server.graceMs) / 1000 + SHUTDOWN_CLOSE_SECONDS;
    expect(pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThanOrEqual(needed);

    expect(container.env?.some(({ name }) => name === 'NODE_OPTIONS'), 'NODE_OPTIONS comes from the image alone').toBe(false);
    const limitMiB = mebibytes(container.resources?.limits?.['memory'] ?? '');
    const offHeapMiB = limitMiB * (1 - (await heapPercentage()) / 100);
    const neededMiB = OFF_HEAP_MIB + (config.server.graphiql ? GRAPHIQL_OFF_HEAP_MIB : 0);
    expect(offHeapMiB, `a ${limitMiB} MiB limit leaves ${offHeapMiB} MiB off the heap; ${neededMiB} MiB are needed (GRAPHIQL=${config.server.graphiql})`).toBeGreaterThanOrEqual(neededMiB);
  });

  it.each(OVERLAYS)('overlays/%s: every pod meets the restricted Pod Security Standard, with no API token', async (overlay) => {
    const pods = ofKind<Deployment>(await rendered(overlay), 'Deployment').map((deployment) => ({ name: deployment.metadata.name, spec: deployment.spec.template.spec }));
    const restricted = (spec: PodSpec) => ({
      automountServiceAccountToken: spec.automountServiceAccountToken,
      hostNetwork: spec.hostNetwork ?? false,
      runAsNonRoot: spec.securityContext?.runAsNonRoot,
      seccompProfile: spec.securityContext?.seccompProfile?.type,
      containers: spec.containers.map(({ securityContext: context }) => ({
        allowPrivilegeEscalation: context?.allowPrivilegeEscalation,
        privileged: context?.privileged ?? false,
        readOnlyRootFilesystem: context?.readOnlyRootFilesystem,
        drop: context?.capabilities?.drop,
        add: context?.capabilities?.add ?? [],
      })),
    });
    for (const { name, spec } of pods) {
      expect({ name, ...restricted(spec) }).toEqual({
        name,
        automountServiceAccountToken: false,
        hostNetwork: false,
        runAsNonRoot: true,
        seccompProfile: 'RuntimeDefault',
        containers: spec.containers.map(() => ({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, drop: ['ALL'], add: [] })),
      });
    }
    // The image's `node` user, which owns nothing it would write to: it writes nothing.
    expect(workload(await rendered(overlay)).pod.securityContext?.runAsUser).toBe(1000);
  });

  it("overlays/sandbox: answers from the built-in sandbox, with two replicas and docker-compose.yml's Redis where REDIS_URL points", async () => {
    const objects = await rendered('sandbox');
    const { env, config } = configOf(objects);
    expect({ sandboxRequested: config.backend.sandboxRequested, replicas: workload(objects).deployment.spec.replicas }).toEqual({ sandboxRequested: true, replicas: 2 });
    const compose = parse(await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: { redis: { image: string; command: string[] } } };
    const redis = find<Deployment>(objects, 'Deployment', `${SERVICE}-redis`).spec.template.spec.containers[0]!;
    expect({ image: redis.image, args: redis.args }).toEqual({ image: compose.services.redis.image, args: compose.services.redis.command });
    const url = new URL(env['REDIS_URL']!);
    const service = find<Service>(objects, 'Service', url.hostname);
    expect(service.spec.ports.map(({ port }) => port)).toContain(Number(url.port));
    expect(service.spec.selector).toEqual(find<Deployment>(objects, 'Deployment', `${SERVICE}-redis`).spec.template.metadata.labels);
  });

  it('overlays/production: the autoscaler owns the replica count, from two; the ServiceMonitor and the NetworkPolicy name real ports and pods', async () => {
    const objects = await rendered('production');
    const { deployment, container } = workload(objects);
    const labels = deployment.spec.template.metadata.labels;
    const autoscaler = find<KubernetesObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number } }>(objects, 'HorizontalPodAutoscaler', SERVICE);
    expect({ replicas: deployment.spec.replicas, target: autoscaler.spec.scaleTargetRef, atLeastTwo: autoscaler.spec.minReplicas >= 2 }).toEqual({
      replicas: undefined,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: SERVICE },
      atLeastTwo: true,
    });
    const service = find<Service>(objects, 'Service', SERVICE);
    const monitor = find<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> } }>(objects, 'ServiceMonitor', SERVICE);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    for (const { port } of monitor.spec.endpoints) expect(service.spec.ports.map(({ name }) => name)).toContain(port);
    const policy = find<KubernetesObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ ports: Array<{ port: string | number }> }> } }>(objects, 'NetworkPolicy', SERVICE);
    expect(labels).toMatchObject(policy.spec.podSelector.matchLabels);
    for (const { port } of policy.spec.ingress.flatMap((rule) => rule.ports)) expect(containerPort(container, port), `NetworkPolicy port ${port}`).toBeDefined();
    for (const budget of ofKind<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget')) {
      expect(labels).toMatchObject(budget.spec.selector.matchLabels);
    }
  });
});
