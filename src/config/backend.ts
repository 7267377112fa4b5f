import { bool, str } from 'envalid';
import type { Problem, Rule, Values } from './section.js';
import { calendarDate, endpointUrl, integer, nodeEnvironment, sampleRate } from './validators.js';

/** Which upstream API answers, where it is, and what responses say about the deprecated one. */
export const BACKEND_SETTINGS = {
  ECS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`. Unset or empty: the built-in sandbox is started on a free loopback port and used instead, except with `NODE_ENV=production`, where the service refuses to start unless `SANDBOX=true`.',
  }),
  IMAGE_BACKEND: str({
    default: 'ecs',
    choices: ['ecs', 'ims', 'shadow'],
    desc: 'Which API answers: `ecs`, the deprecated ECS endpoint; `ims`, IMS `GET /v2/cloudimages` (user-defined metadata keys are absent there); `shadow`, ECS answers and a sample of the loads it answered (an image, or "does not exist") is also read from IMS, off the response path, and compared (metrics and logs). The schema is the same with each.',
  }),
  IMS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional IMS endpoint, e.g. `https://ims.cn-north-4.myhuaweicloud.com`, for `IMAGE_BACKEND=ims` or `shadow`. Unset: derived from an `ECS_ENDPOINT` of the form `https://ecs.{region}.myhuaweicloud.com` (and logged); with no `ECS_ENDPOINT` either, the built-in sandbox serves both APIs; otherwise `ims` and `shadow` refuse to start.',
  }),
  SANDBOX: bool({
    default: false,
    desc: '`true`: serve the built-in sandbox (sample images, no real data) on purpose, even with `NODE_ENV=production`; `ECS_ENDPOINT` and `IMS_ENDPOINT` must then be unset. `false`: the sandbox answers only outside production, when the API that answers has no endpoint.',
  }),
  NODE_ENV: nodeEnvironment()({
    default: '',
    desc: 'Exactly `production` (the Docker image sets it): an API that answers with no endpoint is a configuration error, not a reason to serve the built-in sandbox (see `SANDBOX`). Any other value changes nothing here. Libraries read it too: graphql-js skips its check for a second copy of itself in production.',
  }),
  SHADOW_SAMPLE_RATE: sampleRate()({
    default: 0.1,
    desc: 'With `IMAGE_BACKEND=shadow`, the share of the loads ECS answered (an image, or "does not exist": a 404) also read from IMS and compared (0 to 1). ECS failures are not compared.',
  }),
  SHADOW_MAX_CONCURRENCY: integer(1, 1000)({
    default: 4,
    desc: 'With `IMAGE_BACKEND=shadow`, most IMS comparisons in flight at once; a sampled load that finds them all busy is not compared (`ecs_image_graph_shadow_dropped_total`).',
  }),
  LEGACY_DEPRECATION_DATE: calendarDate()({
    default: '2017-02-22',
    desc: "The date sent in the `Deprecation` header (RFC 9745) of responses that select a deprecated field: when the ECS image metadata API was deprecated. Huawei's page gives no date; the default is OpenStack Ocata's release, whose Nova deprecated the image metadata proxy (microversion 2.39).",
  }),
  LEGACY_SUNSET_DATE: calendarDate({ optional: true })({
    default: '',
    desc: 'When set, responses that select a deprecated field also carry `Sunset` (RFC 8594): the date the ECS endpoint stops answering, once Huawei announces it.',
  }),
};

type BackendEnv = Values<typeof BACKEND_SETTINGS>;
export type BackendKind = 'ecs' | 'ims' | 'shadow';

export const BACKEND_RULES: Array<Rule<typeof BACKEND_SETTINGS>> = [
  (env) => {
    const { IMAGE_BACKEND, IMS_ENDPOINT, ECS_ENDPOINT } = env;
    if (IMAGE_BACKEND === undefined || IMS_ENDPOINT === undefined || ECS_ENDPOINT === undefined) return undefined;
    const ims = imsEndpoint({ IMAGE_BACKEND, IMS_ENDPOINT, ECS_ENDPOINT });
    return 'variable' in ims ? ims : undefined;
  },
  // In production, sample images answered as if real would be worse than not starting: the sandbox must be asked for.
  (env) => {
    const { NODE_ENV, SANDBOX, IMAGE_BACKEND, ECS_ENDPOINT, IMS_ENDPOINT } = env;
    if (NODE_ENV !== 'production' || SANDBOX !== false || IMAGE_BACKEND === undefined || ECS_ENDPOINT === undefined || IMS_ENDPOINT === undefined) return undefined;
    if (!sandboxAnswers({ IMAGE_BACKEND, ECS_ENDPOINT, IMS_ENDPOINT })) return undefined;
    // Shadow mode with IMS_ENDPOINT alone is refused for ECS_ENDPOINT by the rule above already.
    if (IMAGE_BACKEND === 'shadow' && IMS_ENDPOINT !== '') return undefined;
    const instead = 'without it the built-in sandbox would answer with sample images (set SANDBOX=true to serve the sandbox on purpose)';
    return IMAGE_BACKEND === 'ims'
      ? { variable: 'IMS_ENDPOINT', message: `required when NODE_ENV=production with IMAGE_BACKEND=ims (or a regional ECS_ENDPOINT to derive it from): ${instead}` }
      : { variable: 'ECS_ENDPOINT', message: `required when NODE_ENV=production: ${instead}` };
  },
  ({ SANDBOX, ECS_ENDPOINT, IMS_ENDPOINT }) => {
    const set = [ECS_ENDPOINT ? 'ECS_ENDPOINT' : undefined, IMS_ENDPOINT ? 'IMS_ENDPOINT' : undefined].filter((name) => name !== undefined);
    return SANDBOX === true && set.length > 0
      ? { variable: 'SANDBOX', message: `true serves the built-in sandbox instead of any upstream, but ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set: unset one or the other` }
      : undefined;
  },
  ({ LEGACY_DEPRECATION_DATE: deprecated, LEGACY_SUNSET_DATE: sunset }) =>
    deprecated !== undefined && sunset !== undefined && sunset !== '' && sunset < deprecated
      ? { variable: 'LEGACY_SUNSET_DATE', message: 'must not be before LEGACY_DEPRECATION_DATE (RFC 9745: a resource is deprecated before it sunsets)' }
      : undefined,
];

export function readBackend(env: BackendEnv) {
  const ims = imsEndpoint(env);
  if ('variable' in ims) throw new Error(`unchecked configuration: ${ims.variable}`); // BACKEND_RULES refused it first
  return {
    kind: env.IMAGE_BACKEND as BackendKind,
    /** The ECS endpoint's base URL; `undefined` means "start and use the built-in sandbox". */
    ecsEndpoint: env.ECS_ENDPOINT === '' ? undefined : new URL(env.ECS_ENDPOINT),
    /**
     * IMS's base URL for `ims` and `shadow`; `undefined` with no ECS endpoint either means "the built-in sandbox
     * serves both APIs", and always with `ecs`.
     */
    imsEndpoint: ims.url,
    /** Whether `imsEndpoint` was derived from the ECS endpoint's region (to be logged). */
    imsDerived: ims.derived,
    /** SANDBOX=true: the built-in sandbox answers because it was asked for, not for want of an endpoint (to be logged). */
    sandboxRequested: env.SANDBOX,
    shadow: { sampleRate: env.SHADOW_SAMPLE_RATE, maxConcurrency: env.SHADOW_MAX_CONCURRENCY },
    /** What responses selecting a deprecated field announce (RFC 9745 `Deprecation`, RFC 8594 `Sunset`). */
    deprecation: {
      deprecatedAt: new Date(`${env.LEGACY_DEPRECATION_DATE}T00:00:00Z`),
      sunsetAt: env.LEGACY_SUNSET_DATE === '' ? undefined : new Date(`${env.LEGACY_SUNSET_DATE}T00:00:00Z`),
    },
  };
}

/** Which API answers, where each is, and what responses say about the deprecated one. */
export type BackendConfig = ReturnType<typeof readBackend>;
export type DeprecationNotice = BackendConfig['deprecation'];

/** Whether the built-in sandbox stands in for the API that answers: it has no endpoint, set or derived. */
function sandboxAnswers(env: Pick<BackendEnv, 'IMAGE_BACKEND' | 'IMS_ENDPOINT' | 'ECS_ENDPOINT'>): boolean {
  return env.IMAGE_BACKEND === 'ims' ? env.IMS_ENDPOINT === '' && env.ECS_ENDPOINT === '' : env.ECS_ENDPOINT === '';
}

/** ECS's regional host; IMS lives at the same region's `ims.` host. */
const ECS_REGIONAL_HOST = /^ecs\.([a-z0-9-]+)\.myhuaweicloud\.com$/;

/** Where IMS is: set, derived from ECS's region, the sandbox (`undefined`), or why it cannot be known. */
function imsEndpoint(env: Pick<BackendEnv, 'IMAGE_BACKEND' | 'IMS_ENDPOINT' | 'ECS_ENDPOINT'>): { url: URL | undefined; derived: boolean } | Problem {
  const none = { url: undefined, derived: false };
  if (env.IMAGE_BACKEND === 'ecs') return none;
  if (env.IMS_ENDPOINT !== '') {
    // Comparing the sandbox's sample images with a real IMS would only report differences.
    if (env.IMAGE_BACKEND === 'shadow' && env.ECS_ENDPOINT === '') {
      return { variable: 'ECS_ENDPOINT', message: 'required with IMAGE_BACKEND=shadow when IMS_ENDPOINT is set (shadow compares the two)' };
    }
    return { url: new URL(env.IMS_ENDPOINT), derived: false };
  }
  if (env.ECS_ENDPOINT === '') return none;
  const ecs = new URL(env.ECS_ENDPOINT);
  const region = ECS_REGIONAL_HOST.exec(ecs.hostname)?.[1];
  if (region === undefined) {
    return {
      variable: 'IMS_ENDPOINT',
      message: `required with IMAGE_BACKEND=${env.IMAGE_BACKEND}, since ECS_ENDPOINT (${ecs.host}) is not of the form ecs.{region}.myhuaweicloud.com to derive it from`,
    };
  }
  const ims = new URL(ecs.href);
  ims.hostname = `ims.${region}.myhuaweicloud.com`;
  return { url: ims, derived: true };
}
