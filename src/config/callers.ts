import { str } from 'envalid';
import type { BACKEND_SETTINGS } from './backend.js';
import type { Problem, Rule, Values } from './section.js';
import { integer, jwksUrl, projectIdList, secret } from './validators.js';

/** Who calls the upstream (the caller's token, or the service's own key), how callers prove who they are, and what each may spend. */
export const CALLER_SETTINGS = {
  AUTH_MODE: str({
    default: 'passthrough',
    choices: ['passthrough', 'service'],
    desc: "`passthrough`: each caller's `X-Auth-Token` is forwarded (no token: `UNAUTHENTICATED`, except against the built-in sandbox). `service`: every call is signed with the service's AK/SK and only `ALLOWED_PROJECT_IDS` are served.",
  }),
  HUAWEICLOUD_SDK_AK: secret({ default: '', desc: 'Access key id for `AUTH_MODE=service`.' }),
  HUAWEICLOUD_SDK_SK: secret({ default: '', desc: 'Secret access key for `AUTH_MODE=service`; never logged or echoed.' }),
  HUAWEICLOUD_SDK_SECURITY_TOKEN: secret({
    default: '',
    desc: 'Security token of temporary AK/SK credentials, sent as `X-Security-Token` in `AUTH_MODE=service`; never logged or echoed.',
  }),
  ALLOWED_PROJECT_IDS: projectIdList({
    default: '',
    desc: 'Comma-separated project ids `AUTH_MODE=service` may serve (required there: every caller acts with the service\'s identity). Any other project is `FORBIDDEN` without an upstream call.',
  }),
  SERVICE_CALLER_AUTH: str({
    default: 'jwt',
    choices: ['jwt', 'network'],
    desc: "How `AUTH_MODE=service` knows its callers, who all spend the service's own AK/SK. `jwt`: every request carries `Authorization: Bearer <JWT>` verified against `JWT_JWKS_URL`, `JWT_ISSUER` and `JWT_AUDIENCE` (no or bad JWT: `UNAUTHENTICATED`, no upstream call); the rate limit keys on its subject. `network`: no caller check, because only the gateway can reach the service (a warning is logged at start); all callers share one rate limit. Against the built-in sandbox with no `JWT_*` set, callers are not checked.",
  }),
  JWT_JWKS_URL: jwksUrl({
    default: '',
    desc: 'The JSON Web Key Set that signs callers\' JWTs, for `SERVICE_CALLER_AUTH=jwt` (required there). Fetched when a key is first needed and cached.',
  }),
  JWT_ISSUER: str({ default: '', desc: 'The `iss` every caller JWT must carry, for `SERVICE_CALLER_AUTH=jwt` (required there).' }),
  JWT_AUDIENCE: str({ default: '', desc: 'The `aud` every caller JWT must include, for `SERVICE_CALLER_AUTH=jwt` (required there).' }),
  JWT_JWKS_REFRESH_SECONDS: integer(10, 86_400)({
    default: 600,
    desc: 'How old the key set of `JWT_JWKS_URL` may get before it is fetched again, in the background: tokens are verified with the keys held meanwhile, and for as long as the key set cannot be fetched.',
  }),
  JWT_MAX_AGE_SECONDS: integer(60, 31 * 86_400)({
    default: 86_400,
    desc: 'Longest lifetime a caller JWT may have, from its `iat` (or from now, without one) to its `exp`; a longer-lived token is refused as if it were invalid. Gateways and identity providers mint tokens of minutes to hours.',
  }),
  UPSTREAM_CALLS_PER_CALLER_PER_SECOND: integer(0, 1_000_000)({
    default: 20,
    desc: "Upstream calls each caller may cause per second (the caller: the token's cache scope in passthrough mode, the JWT subject in service mode); cache hits and shared calls are free. Over it (and its burst), the image fails with `RATE_LIMITED` and `retryAfter`, and no call is made. Shared by every replica through Redis (docs/redis.md). 0: no limit.",
  }),
  UPSTREAM_CALLS_PER_CALLER_BURST: integer(0, 1_000_000)({
    default: 200,
    desc: 'Calls a caller may make beyond its per-second rate, once per 10 s, so that one large operation (a full `images` list) is not throttled.',
  }),
  UPSTREAM_REFUSALS_PER_ADDRESS_PER_MINUTE: integer(0, 1_000_000)({
    default: 20,
    desc: "Credentials one client address may have refused by the upstream (401, 403) per minute, counted across replicas through Redis. Past it, a credential from that address that has not worked in the last 10 minutes is not sent (`RATE_LIMITED` with `retryAfter`, no call), so that one address sending a new junk token with every request cannot get this service's own address throttled by Huawei. Credentials that worked lately pass. Behind a gateway, every caller has the gateway's address. 0: no limit.",
  }),
  UPSTREAM_AUTH_FAILURE_CACHE_SECONDS: integer(0, 3600)({
    default: 5,
    desc: "After the upstream refuses a caller's credential (401), every call of that caller fails with `UNAUTHENTICATED` for this long without reaching the upstream; after a 403, calls of that caller to that project fail with `FORBIDDEN`. 0: never remembered.",
  }),
};

/** How service mode knows who calls it: a verified JWT, or nobody but the gateway can reach it. */
export type ServiceCallers =
  | {
      readonly kind: 'jwt';
      readonly jwksUrl: URL;
      /** How old the key set may get before a background refresh. */
      readonly jwksRefreshMs: number;
      readonly issuer: string;
      readonly audience: string;
      readonly maxTokenAgeSeconds: number;
    }
  | { readonly kind: 'network' };

/** Whose identity calls the upstream. */
export type AuthConfig =
  | { readonly mode: 'passthrough' }
  | {
      readonly mode: 'service';
      readonly accessKey: string;
      readonly secretKey: string;
      readonly securityToken: string | undefined;
      readonly allowedProjectIds: ReadonlySet<string>;
      readonly callers: ServiceCallers;
    };

/** A caller's allowance of upstream calls: `calls` per window, and `burst` more per (longer) burst window. */
export interface CallerRate {
  /** 0: no limit. */
  readonly calls: number;
  readonly windowSeconds: number;
  readonly burst: number;
  readonly burstWindowSeconds: number;
}

type CallerEnv = Values<typeof CALLER_SETTINGS & Pick<typeof BACKEND_SETTINGS, 'ECS_ENDPOINT'>>;

const required = (variable: string, when: string): Problem => ({ variable, message: `required when ${when}` });

/** Service mode needs all of its identity up front: a half-configured service must not start. */
export const CALLER_RULES: Array<Rule<typeof CALLER_SETTINGS & Pick<typeof BACKEND_SETTINGS, 'ECS_ENDPOINT'>>> = [
  ({ AUTH_MODE, HUAWEICLOUD_SDK_AK }) => (AUTH_MODE === 'service' && HUAWEICLOUD_SDK_AK === '' ? required('HUAWEICLOUD_SDK_AK', 'AUTH_MODE=service') : undefined),
  ({ AUTH_MODE, HUAWEICLOUD_SDK_SK }) => (AUTH_MODE === 'service' && HUAWEICLOUD_SDK_SK === '' ? required('HUAWEICLOUD_SDK_SK', 'AUTH_MODE=service') : undefined),
  ({ AUTH_MODE, ALLOWED_PROJECT_IDS }) =>
    AUTH_MODE === 'service' && ALLOWED_PROJECT_IDS?.length === 0
      ? required('ALLOWED_PROJECT_IDS', 'AUTH_MODE=service: list the project ids this service may read with its own identity')
      : undefined,
  ...(['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const).map(
    (name): Rule<typeof CALLER_SETTINGS & Pick<typeof BACKEND_SETTINGS, 'ECS_ENDPOINT'>> =>
      (env) =>
        env.AUTH_MODE === 'service' && env[name] === '' && callersKind(env) === 'jwt'
          ? required(name, 'AUTH_MODE=service with SERVICE_CALLER_AUTH=jwt (or set SERVICE_CALLER_AUTH=network if only the gateway can reach this service)')
          : undefined,
  ),
];

/**
 * Every caller spends the service's identity, so service mode must know who they are, or be told it need not.
 * The built-in sandbox holds no real data and spends no real key: like passthrough, it needs no caller credential.
 */
function callersKind(env: Partial<CallerEnv>): 'jwt' | 'network' | undefined {
  if (env.SERVICE_CALLER_AUTH === 'network') return 'network';
  const sandbox = env.ECS_ENDPOINT === '';
  return sandbox && env.JWT_JWKS_URL === '' && env.JWT_ISSUER === '' && env.JWT_AUDIENCE === '' ? 'network' : env.SERVICE_CALLER_AUTH === undefined ? undefined : 'jwt';
}

export function readCallers(env: CallerEnv) {
  const auth: AuthConfig =
    env.AUTH_MODE === 'service'
      ? {
          mode: 'service',
          accessKey: env.HUAWEICLOUD_SDK_AK,
          secretKey: env.HUAWEICLOUD_SDK_SK,
          securityToken: env.HUAWEICLOUD_SDK_SECURITY_TOKEN || undefined,
          allowedProjectIds: new Set(env.ALLOWED_PROJECT_IDS),
          callers:
            callersKind(env) === 'network'
              ? { kind: 'network' }
              : {
                  kind: 'jwt',
                  jwksUrl: new URL(env.JWT_JWKS_URL),
                  jwksRefreshMs: env.JWT_JWKS_REFRESH_SECONDS * 1000,
                  issuer: env.JWT_ISSUER,
                  audience: env.JWT_AUDIENCE,
                  maxTokenAgeSeconds: env.JWT_MAX_AGE_SECONDS,
                },
        }
      : { mode: 'passthrough' };
  const rate: CallerRate = { calls: env.UPSTREAM_CALLS_PER_CALLER_PER_SECOND, windowSeconds: 1, burst: env.UPSTREAM_CALLS_PER_CALLER_BURST, burstWindowSeconds: 10 };
  return {
    auth,
    /** Each caller's allowance of upstream calls; `calls` 0 means no limit. */
    rate,
    /** How long a 401 (per caller) or 403 (per caller and project) is remembered; 0: never. */
    refusalTtlMs: env.UPSTREAM_AUTH_FAILURE_CACHE_SECONDS * 1000,
    /** Upstream refusals one client address may cause per minute before its unproven credentials are held back; 0: no limit. */
    refusalsPerAddressPerMinute: env.UPSTREAM_REFUSALS_PER_ADDRESS_PER_MINUTE,
  };
}

/** Who the service calls the upstream as, how it knows its callers, and what each may spend. */
export type CallersConfig = ReturnType<typeof readCallers>;
