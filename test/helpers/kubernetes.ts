import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';

// The Kubernetes manifests of deploy/kubernetes/, as a cluster would receive them (`kubectl kustomize`), and what the
// API server would say of them, offline: no cluster is needed, or used.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One object of a rendered manifest, as parsed: its schema is checked by `schemaProblems`, not assumed. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/**
 * The objects `kubectl kustomize` renders from `directory` (relative to the repository). kubectl's own message when
 * it cannot (a missing file, a bad patch); a plain one when kubectl is not installed, since nothing else can render
 * kustomizations the same way.
 */
export async function render(directory: string): Promise<KubernetesObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('kubectl', ['kustomize', directory], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error('kubectl is not installed (or not on PATH): the Kubernetes manifests cannot be rendered. Install kubectl; CI has it.');
    // kubectl's message, without the log prefix its errors carry (`E1205 07:48:23.883030 13377 run.go:72] "command failed" err=`).
    const message = stderr?.trim().replace(/^E\d{4} \S+\s+\d+ \S+\] "command failed" err=/, '') || String(error);
    throw new Error(`kubectl kustomize ${directory} failed: ${message}`);
  }
  return parseAllDocuments(stdout).map((document) => document.toJS() as KubernetesObject);
}

/** An object's name for a message: `Deployment ecs-image-graph`. */
export const nameOf = (object: KubernetesObject) => `${object.kind} ${object.metadata.name}`;

interface ModelClass {
  new (data: never): { validate(): void };
  readonly prototype: { validate(): void };
}

/**
 * The models for every kind the manifests use, by `apiVersion/kind`. kubernetes-models is generated from Kubernetes'
 * OpenAPI definitions (5.1.0 has 1.34's, the preStop sleep action and resource.k8s.io/v1 among them: a field newer than
 * your cluster passes here), @kubernetes-models/prometheus-operator from the operator's CRDs. A kind missing here fails
 * the test: add its model.
 */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/**
 * What the API schema says is wrong with `object`: values of the wrong type or out of their enum, missing required
 * fields (the models' validation), and fields the schema does not define at all, which the models let through (a
 * `periodSecnds` would reach the cluster, and a server-side apply with field validation would refuse it, a client-side
 * one drop it in silence).
 *
 * The packages keep their JSON schemas compiled, as ajv's standalone validators (`_schemas/*.js`, one module per
 * definition); no JSON copy ships. So the schema is asked which fields it defines by watching what its own validator
 * reads: it reads every property its schema names on each object it checks, and enumerates the keys of maps
 * (`additionalProperties`: labels, `data`, resource quantities). An own property of an object that it neither read
 * nor enumerated is not in the schema. An object whose schema names no property at all (a free-form one) is reported
 * too, since nothing could be checked there.
 */
export function schemaProblems(object: KubernetesObject): string[] {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) return [`${nameOf(object)}: no model for ${object.apiVersion} ${object.kind} to check it against (add it to MODELS in test/helpers/kubernetes.ts)`];
  const watched: Watched[] = [];
  const problems: string[] = [];
  try {
    model.prototype.validate.call(watch(object, '', watched));
  } catch (error) {
    // ajv's ValidationError: one error per failed keyword, with its path in the object.
    const errors = (error as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
    if (!errors) throw error;
    problems.push(...errors.map(({ instancePath, message }) => `${nameOf(object)}: ${instancePath || '/'} ${message ?? 'is invalid'}`));
  }
  for (const { path, value, read, enumerated } of watched) {
    if (enumerated) continue;
    const keys = Object.keys(value);
    if (read.size === 0 && keys.length > 0) {
      problems.push(`${nameOf(object)}: ${path || '/'} is free-form in the schema: its fields (${keys.join(', ')}) cannot be checked`);
      continue;
    }
    for (const key of keys.filter((candidate) => !read.has(candidate))) problems.push(`${nameOf(object)}: ${path}/${key} is not a field of the API schema`);
  }
  return problems;
}

/** An object of the manifest, and what the validator did with it. */
interface Watched {
  readonly path: string;
  readonly value: object;
  readonly read: Set<PropertyKey>;
  enumerated: boolean;
}

/** `value` with each of its objects behind a Proxy that records, in `watched`, the properties read and whether its keys were listed. */
function watch(value: unknown, path: string, watched: Watched[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown, index) => watch(item, `${path}/${index}`, watched));
  const record: Watched = { path, value, read: new Set(), enumerated: false };
  watched.push(record);
  const children = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, watch(child, `${path}/${key}`, watched)]));
  return new Proxy(children, {
    get: (target, key, receiver) => (record.read.add(key), Reflect.get(target, key, receiver)),
    has: (target, key) => (record.read.add(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (record.read.add(key), Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: (target) => ((record.enumerated = true), Reflect.ownKeys(target)),
  });
}
