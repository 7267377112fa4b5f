import type { AuthConfig, ServiceCallers } from './images/access.js';
import { bool, cleanEnv, host, str } from 'envalid';
import type { CallerRate } from './images/caller-rate-limit.js';
import { calendarDate, endpointUrl, fraction, integer, jwksUrl, originList, projectIdList, redisUrl, sampleRate, secret, urlSetting } from './config-validators.js';

/**
 * Every setting, read from the environment. Each entry's `desc` and `default` are the documentation:
 * the README's configuration table is generated from this object (`npm run docs:config`) and a test
 * fails when the two differ.
 */
export const settings = {
  PORT: integer(0, 65_535)({ default: 4000, desc: 'TCP port the GraphQL server listens on; 0 picks a free port (the log says which).' }),
  HOST: host({ default: '127.0.0.1', desc: 'Interface the GraphQL server listens on. Use `0.0.0.0` to accept connections from other machines.' }),
  ECS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`. Unset or empty: the built-in sandbox is started on a free loopback port and used instead.',
  }),
  IMAGE_BACKEND: str({
    default: 'ecs',
    choices: ['ecs', 'ims', 'shadow'],
    desc: 'Which API answers: `ecs`, the deprecated ECS endpoint; `ims`, IMS `GET /v2/cloudimages` (user-defined metadata keys are absent there); `shadow`, ECS answers and a sample of its successful loads is also read from IMS, off the response path, and compared (metrics and logs). The schema is the same with each.',
  }),
  IMS_ENDPOINT: endpointUrl({
    default: '',
    desc: 'The regional IMS endpoint, e.g. `https://ims.cn-north-4.myhuaweicloud.com`, for `IMAGE_BACKEND=ims` or `shadow`. Unset: derived from an `ECS_ENDPOINT` of the form `https://ecs.{region}.myhuaweicloud.com` (and logged); with no `ECS_ENDPOINT` either, the built-in sandbox serves both APIs; otherwise `ims` and `shadow` refuse to start.',
  }),
  SHADOW_SAMPLE_RATE: sampleRate()({
    default: 0.1,
    desc: 'With `IMAGE_BACKEND=shadow`, the share of successful ECS loads also read from IMS and compared (0 to 1).',
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
  IMAGES_MAX_IDS: integer(1, 10_000)({
    default: 100,
    desc: 'Most ids one `images` field accepts; a longer list is refused with `BAD_USER_INPUT` before any upstream call.',
  }),
  MAX_IMAGES_PER_OPERATION: integer(1, 100_000)({
    default: 200,
    desc: 'Most image results one operation may produce, counted before any upstream call: each `image` field, each id of each `images` list (repeats included) and each `_entities` representation. More is refused with `OPERATION_TOO_LARGE`.',
  }),
  MAX_RESPONSE_BYTES: integer(65_536, 1024 * 1024 * 1024)({
    default: 8 * 1024 * 1024,
    desc: 'Most bytes of image data one response may carry (each image result counts its metadata and typed fields, repeats included). Image results past it fail with `OPERATION_TOO_LARGE`; the rest of the answer is sent.',
  }),
  OPERATION_DEADLINE_MS: integer(100, 600_000)({
    default: 10_000,
    desc: 'Longest a GraphQL operation waits for the upstream, retries included. Images not fetched by then fail with `UPSTREAM_TIMEOUT`; the rest of the answer is sent.',
  }),
  UPSTREAM_CONCURRENCY_PER_OPERATION: integer(1, 1000)({
    default: 10,
    desc: 'Most upstream calls one GraphQL operation may have in flight at once; the rest of its images wait their turn.',
  }),
  UPSTREAM_MAX_CONNECTIONS: integer(1, 1000)({
    default: 20,
    desc: 'Most upstream calls in flight at once across all operations (and the size of the connection pool); the rest queue, so a burst of queries cannot trip Huawei\'s throttling.',
  }),
  UPSTREAM_TIMEOUT_MS: integer(10, 600_000)({
    default: 5000,
    desc: 'Longest one attempt may take, from getting a connection slot to the end of the body; then it is aborted, its socket closed, and retried.',
  }),
  UPSTREAM_RETRIES: integer(0, 10)({
    default: 2,
    desc: 'Further attempts after a 429, 500, 502, 503, 504, timeout or connection error. Other answers are never retried; no retry starts that cannot finish before the deadline.',
  }),
  UPSTREAM_RETRY_BASE_DELAY_MS: integer(0, 60_000)({
    default: 200,
    desc: 'Upper bound of the first backoff; it doubles with each retry, and the actual wait is drawn at random below it (full jitter).',
  }),
  UPSTREAM_RETRY_MAX_DELAY_MS: integer(0, 600_000)({
    default: 5000,
    desc: 'Longest wait before a retry. A `Retry-After` (or Nova `retryAfter`) up to this long is honoured exactly; a longer one is not waited for and the image fails with `RATE_LIMITED` and `extensions.retryAfter`.',
  }),
  UPSTREAM_RETRY_BUDGET_PERCENT: integer(0, 100)({
    default: 20,
    desc: 'Retries may add at most this share (in percent) of the calls made over the last 10 s, beyond `UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND`, so a failing upstream is not hit three times harder. A retry over budget is not made: the image fails with the real reason.',
  }),
  UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: integer(0, 10_000)({
    default: 5,
    desc: 'Retries per second always allowed, whatever the budget says, so that a quiet service still retries.',
  }),
  UPSTREAM_CALLS_PER_CALLER_PER_SECOND: integer(0, 1_000_000)({
    default: 20,
    desc: "Upstream calls each caller may cause per second (the caller: the token's cache scope in passthrough mode, the JWT subject in service mode); cache hits and shared calls are free. Over it (and its burst), the image fails with `RATE_LIMITED` and `retryAfter`, and no call is made. Shared by every replica through `REDIS_URL`. 0: no limit.",
  }),
  UPSTREAM_CALLS_PER_CALLER_BURST: integer(0, 1_000_000)({
    default: 200,
    desc: 'Calls a caller may make beyond its per-second rate, once per 10 s, so that one large operation (a full `images` list) is not throttled.',
  }),
  UPSTREAM_AUTH_FAILURE_CACHE_SECONDS: integer(0, 3600)({
    default: 5,
    desc: "After the upstream refuses a caller's credential (401), every call of that caller fails with `UNAUTHENTICATED` for this long without reaching the upstream; after a 403, calls of that caller to that project fail with `FORBIDDEN`. 0: never remembered.",
  }),
  CIRCUIT_FAILURE_RATE: fraction()({
    default: 0.5,
    desc: 'Share of upstream calls (0 to 1) that must fail (5xx, connection error or timeout) within `CIRCUIT_WINDOW_MS` to open the circuit; while open, calls fail fast with `UPSTREAM_UNAVAILABLE`.',
  }),
  CIRCUIT_WINDOW_MS: integer(1000, 3_600_000)({ default: 10_000, desc: 'Rolling window over which the failure rate is measured.' }),
  CIRCUIT_MIN_CALLS: integer(1, 1_000_000)({
    default: 20,
    desc: 'Least number of calls within the window before the circuit may open, so a few failures alone never open it.',
  }),
  CIRCUIT_HALF_OPEN_AFTER_MS: integer(100, 3_600_000)({
    default: 5000,
    desc: 'How long the circuit stays open before one trial call is let through; its success closes the circuit, its failure opens it again.',
  }),
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
  CACHE_TTL_SECONDS: integer(0, 86_400)({
    default: 60,
    desc: 'How long an image\'s metadata is served from the cache, across requests; 0 turns caching off.',
  }),
  CACHE_NOT_FOUND_TTL_SECONDS: integer(0, 86_400)({
    default: 10,
    desc: 'How long a "does not exist" (404) answer is cached; 0 never caches it. Errors are never cached.',
  }),
  CACHE_STALE_IF_ERROR_SECONDS: integer(0, 86_400)({
    default: 300,
    desc: "How long past its TTL an image's metadata is kept to answer with when the upstream fails (`UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT` or an open circuit); such an answer is marked in `extensions.stale`. Never an answer fetched before the upstream refused that caller (401, or 403 in that project). 0: never.",
  }),
  CACHE_MAX_BYTES: integer(1024, 2 ** 40)({
    default: 64 * 1024 * 1024,
    desc: 'Size bound of the in-memory cache, in bytes of heap its entries really take (least recently used entries go first). Not used with `REDIS_URL`.',
  }),
  REDIS_URL: redisUrl({
    default: '',
    desc: 'A Redis server for a cache shared by all replicas, e.g. `redis://cache:6379/0` (or `rediss://` for TLS). Unset: an in-memory cache per process. If Redis is down, queries still answer from the upstream.',
  }),
  CACHE_KEY_SECRET: secret({
    default: '',
    desc: "Key of the HMAC that turns a caller's token into its cache scope. Required (32+ characters, the same on every replica) with `REDIS_URL` in passthrough mode; otherwise a random one is made at start.",
  }),
  MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024)({
    default: 100_000,
    desc: 'Largest request body accepted; a larger one is refused with HTTP 413 before it is read in full.',
  }),
  HTTP_HEADERS_TIMEOUT_MS: integer(1000, 600_000)({
    default: 10_000,
    desc: "Longest a client may take to send a request's headers; then its connection is closed.",
  }),
  HTTP_REQUEST_TIMEOUT_MS: integer(1000, 3_600_000)({
    default: 30_000,
    desc: 'Longest a client may take to send a whole request, body included (a body that lies about its length frees its connection then).',
  }),
  HTTP_IDLE_TIMEOUT_MS: integer(1000, 3_600_000)({
    default: 30_000,
    desc: 'A connection on which nothing moves either way for `OPERATION_DEADLINE_MS` plus this long is closed, with its response: a client that stops reading frees what it holds.',
  }),
  MAX_DEPTH: integer(1, 1000)({ default: 10, desc: 'Deepest selection nesting an operation may have (GraphQL Armor).' }),
  MAX_ALIASES: integer(0, 10_000)({ default: 20, desc: 'Most aliases in one operation (GraphQL Armor): each `images` alias may cost up to IMAGES_MAX_IDS calls.' }),
  MAX_TOKENS: integer(10, 1_000_000)({ default: 2000, desc: 'Most lexical tokens in one operation document (GraphQL Armor).' }),
  MAX_COST: integer(1, 10_000_000)({ default: 5000, desc: 'Highest estimated cost of one operation (GraphQL Armor: 2 per object, 1 per scalar, deeper levels cost more).' }),
  MAX_DIRECTIVES: integer(0, 1000)({ default: 20, desc: 'Most directives in one operation (GraphQL Armor).' }),
  CORS_ORIGINS: originList({
    default: '',
    desc: 'Comma-separated origins (e.g. `https://app.example.com`) whose browser pages may call the API. Unset: no cross-origin access at all.',
  }),
  GRAPHIQL: bool({ default: true, desc: 'Serve GraphiQL at /graphql to browsers. Set `false` in production if it should not be public.' }),
  INTROSPECTION: bool({
    default: true,
    desc: 'Answer introspection queries. `false` also hides "did you mean" field suggestions in errors. Federation (`_service`) keeps working.',
  }),
  TRUSTED_DOCUMENTS_FILE: str({
    default: '',
    desc: 'Path to a JSON object mapping document ids (e.g. sha256 hashes) to GraphQL documents. Set: only those persisted operations run (sent as `documentId` or Apollo\'s `extensions.persistedQuery.sha256Hash`); any other is refused.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlSetting(['http:', 'https:'], 'http://otel-collector:4318')({
    default: '',
    desc: 'OTLP/HTTP endpoint (the collector\'s base URL) for OpenTelemetry traces: a span per operation and per upstream attempt, with a W3C `traceparent` sent upstream. Unset: no tracing.',
  }),
  OTEL_SERVICE_NAME: str({ default: 'ecs-image-graph', desc: 'The `service.name` of exported traces.' }),
  SHUTDOWN_DRAIN_MS: integer(0, 600_000)({
    default: 0,
    desc: 'On SIGTERM/SIGINT, how long /readyz answers 503 while new connections are still accepted, so a load balancer stops sending traffic first (5000 is typical behind one).',
  }),
  SHUTDOWN_GRACE_MS: integer(0, 600_000)({
    default: 15_000,
    desc: 'On SIGTERM/SIGINT, how long operations in flight may take to finish once new connections are refused; then the rest are cut off and the process exits.',
  }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'Least severe log level written (pino levels).',
  }),
};

/** How the service talks to the legacy API. */
export interface UpstreamConfig {
  readonly maxConnections: number;
  readonly attemptTimeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Retries allowed beyond the first attempts: a share of recent calls, with a floor. */
  readonly retryBudget: { readonly percent: number; readonly minPerSecond: number };
  /** Per-caller allowance of upstream calls; `calls` 0 means no limit. */
  readonly callerRate: CallerRate;
  /** How long a 401 (per caller) or 403 (per caller and project) is remembered; 0: never. */
  readonly authFailureTtlMs: number;
  readonly circuit: {
    readonly failureRate: number;
    readonly windowMs: number;
    readonly minCalls: number;
    readonly halfOpenAfterMs: number;
  };
}

/** What the HTTP endpoint accepts and serves. */
export interface HttpConfig {
  readonly maxBodyBytes: number;
  readonly corsOrigins: readonly string[];
  readonly graphiql: boolean;
  readonly introspection: boolean;
  readonly trustedDocumentsFile: string | undefined;
  /** Node's `headersTimeout` and `requestTimeout`: a slow or lying client frees its connection. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The socket's idle timeout: a client that stops reading frees its connection and its response. */
  readonly idleTimeoutMs: number;
}

/** GraphQL Armor's limits on one operation. */
export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  readonly maxCost: number;
  readonly maxDirectives: number;
}

/** How service mode knows who calls it: a verified JWT, or nobody but the gateway can reach it. */
export type { AuthConfig, ServiceCallers };

export interface CacheConfig {
  /** 0: no caching. */
  readonly ttlMs: number;
  readonly notFoundTtlMs: number;
  /** How long past its TTL metadata is kept, to answer with when the upstream fails. */
  readonly staleIfErrorMs: number;
  readonly maxBytes: number;
  readonly redisUrl: string | undefined;
  /** The HMAC key for token scopes; undefined means "make a random one" (a cache no other process shares). */
  readonly keySecret: string | undefined;
}

/** What one GraphQL operation may ask of the upstream. */
export interface OperationLimits {
  /** Most ids one `images` field accepts. */
  readonly imagesMaxIds: number;
  /** Most image results one operation may produce (checked before execution). */
  readonly maxImages: number;
  /** Most bytes of image data one response may carry (charged as image results resolve). */
  readonly maxResponseBytes: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
}

/** Which upstream API answers, and where IMS is. */
export interface BackendConfig {
  readonly kind: 'ecs' | 'ims' | 'shadow';
  /**
   * IMS's base URL for `ims` and `shadow`; `undefined` with no ECS endpoint either means "the built-in sandbox
   * serves both APIs", and always with `ecs`.
   */
  readonly imsEndpoint: URL | undefined;
  /** Whether `imsEndpoint` was derived from the ECS endpoint's region (to be logged). */
  readonly imsDerived: boolean;
  readonly shadow: { readonly sampleRate: number; readonly maxConcurrency: number };
}

/** What responses selecting a deprecated field announce (RFC 9745 `Deprecation`, RFC 8594 `Sunset`). */
export interface DeprecationNotice {
  readonly deprecatedAt: Date;
  readonly sunsetAt: Date | undefined;
}

/** The validated settings, named for the code that uses them. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** The legacy API's base URL; `undefined` means "start and use the built-in sandbox". */
  readonly ecsEndpoint: URL | undefined;
  readonly backend: BackendConfig;
  readonly deprecation: DeprecationNotice;
  readonly limits: OperationLimits;
  readonly upstream: UpstreamConfig;
  readonly auth: AuthConfig;
  readonly cache: CacheConfig;
  readonly http: HttpConfig;
  readonly queryLimits: QueryLimits;
  readonly telemetry: { readonly otlpEndpoint: string | undefined; readonly serviceName: string };
  readonly shutdown: { readonly drainMs: number; readonly graceMs: number };
  readonly logLevel: string;
}

/** The environment holds a bad value; the message names each variable and what it needs. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = cleanEnv(env, settings, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, error]) => `  ${name}: ${error?.message ?? 'invalid'}`);
      if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
    },
  });
  const auth = authConfig(clean);
  const cache: CacheConfig = {
    ttlMs: clean.CACHE_TTL_SECONDS * 1000,
    notFoundTtlMs: clean.CACHE_NOT_FOUND_TTL_SECONDS * 1000,
    staleIfErrorMs: clean.CACHE_STALE_IF_ERROR_SECONDS * 1000,
    maxBytes: clean.CACHE_MAX_BYTES,
    redisUrl: clean.REDIS_URL || undefined,
    keySecret: clean.CACHE_KEY_SECRET || undefined,
  };
  if (cache.redisUrl && auth.mode === 'passthrough' && (cache.keySecret?.length ?? 0) < 32) {
    throw new ConfigError(
      'Invalid configuration:\n  CACHE_KEY_SECRET: required, at least 32 characters, when REDIS_URL is set in passthrough mode, so that every replica derives the same cache keys',
    );
  }
  const inconsistent = [
    clean.HTTP_HEADERS_TIMEOUT_MS > clean.HTTP_REQUEST_TIMEOUT_MS && '  HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    clean.IMAGES_MAX_IDS > clean.MAX_IMAGES_PER_OPERATION && '  IMAGES_MAX_IDS: must not be more than MAX_IMAGES_PER_OPERATION (one full images field must fit in an operation)',
    clean.LEGACY_SUNSET_DATE !== '' && clean.LEGACY_SUNSET_DATE < clean.LEGACY_DEPRECATION_DATE && '  LEGACY_SUNSET_DATE: must not be before LEGACY_DEPRECATION_DATE (RFC 9745: a resource is deprecated before it sunsets)',
  ].filter((line): line is string => typeof line === 'string');
  if (inconsistent.length > 0) throw new ConfigError(`Invalid configuration:\n${inconsistent.join('\n')}`);
  return {
    port: clean.PORT,
    host: clean.HOST,
    ecsEndpoint: clean.ECS_ENDPOINT === '' ? undefined : new URL(clean.ECS_ENDPOINT),
    backend: backendConfig(clean),
    deprecation: {
      deprecatedAt: new Date(`${clean.LEGACY_DEPRECATION_DATE}T00:00:00Z`),
      sunsetAt: clean.LEGACY_SUNSET_DATE === '' ? undefined : new Date(`${clean.LEGACY_SUNSET_DATE}T00:00:00Z`),
    },
    limits: {
      imagesMaxIds: clean.IMAGES_MAX_IDS,
      maxImages: clean.MAX_IMAGES_PER_OPERATION,
      maxResponseBytes: clean.MAX_RESPONSE_BYTES,
      deadlineMs: clean.OPERATION_DEADLINE_MS,
      concurrency: clean.UPSTREAM_CONCURRENCY_PER_OPERATION,
    },
    upstream: {
      maxConnections: clean.UPSTREAM_MAX_CONNECTIONS,
      attemptTimeoutMs: clean.UPSTREAM_TIMEOUT_MS,
      retries: clean.UPSTREAM_RETRIES,
      retryBaseDelayMs: clean.UPSTREAM_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: clean.UPSTREAM_RETRY_MAX_DELAY_MS,
      retryBudget: { percent: clean.UPSTREAM_RETRY_BUDGET_PERCENT, minPerSecond: clean.UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND },
      callerRate: { calls: clean.UPSTREAM_CALLS_PER_CALLER_PER_SECOND, windowSeconds: 1, burst: clean.UPSTREAM_CALLS_PER_CALLER_BURST, burstWindowSeconds: 10 },
      authFailureTtlMs: clean.UPSTREAM_AUTH_FAILURE_CACHE_SECONDS * 1000,
      circuit: {
        failureRate: clean.CIRCUIT_FAILURE_RATE,
        windowMs: clean.CIRCUIT_WINDOW_MS,
        minCalls: clean.CIRCUIT_MIN_CALLS,
        halfOpenAfterMs: clean.CIRCUIT_HALF_OPEN_AFTER_MS,
      },
    },
    auth,
    cache,
    http: {
      maxBodyBytes: clean.MAX_BODY_BYTES,
      corsOrigins: clean.CORS_ORIGINS,
      graphiql: clean.GRAPHIQL,
      introspection: clean.INTROSPECTION,
      trustedDocumentsFile: clean.TRUSTED_DOCUMENTS_FILE || undefined,
      headersTimeoutMs: clean.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: clean.HTTP_REQUEST_TIMEOUT_MS,
      // A connection waits, idle, for its operation: the idle time starts counting after the deadline.
      idleTimeoutMs: clean.OPERATION_DEADLINE_MS + clean.HTTP_IDLE_TIMEOUT_MS,
    },
    queryLimits: {
      maxDepth: clean.MAX_DEPTH,
      maxAliases: clean.MAX_ALIASES,
      maxTokens: clean.MAX_TOKENS,
      maxCost: clean.MAX_COST,
      maxDirectives: clean.MAX_DIRECTIVES,
    },
    telemetry: { otlpEndpoint: clean.OTEL_EXPORTER_OTLP_ENDPOINT || undefined, serviceName: clean.OTEL_SERVICE_NAME },
    shutdown: { drainMs: clean.SHUTDOWN_DRAIN_MS, graceMs: clean.SHUTDOWN_GRACE_MS },
    logLevel: clean.LOG_LEVEL,
  };
}

/** Service mode needs all of its identity up front: a half-configured service must not start. */
function authConfig(clean: {
  AUTH_MODE: string;
  HUAWEICLOUD_SDK_AK: string;
  HUAWEICLOUD_SDK_SK: string;
  HUAWEICLOUD_SDK_SECURITY_TOKEN: string;
  ALLOWED_PROJECT_IDS: readonly string[];
  ECS_ENDPOINT: string;
  SERVICE_CALLER_AUTH: string;
  JWT_JWKS_URL: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}): AuthConfig {
  if (clean.AUTH_MODE !== 'service') return { mode: 'passthrough' };
  const missing = [
    clean.HUAWEICLOUD_SDK_AK === '' && '  HUAWEICLOUD_SDK_AK: required when AUTH_MODE=service',
    clean.HUAWEICLOUD_SDK_SK === '' && '  HUAWEICLOUD_SDK_SK: required when AUTH_MODE=service',
    clean.ALLOWED_PROJECT_IDS.length === 0 &&
      '  ALLOWED_PROJECT_IDS: required when AUTH_MODE=service: list the project ids this service may read with its own identity',
  ].filter((line): line is string => typeof line === 'string');
  if (missing.length > 0) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  return {
    mode: 'service',
    accessKey: clean.HUAWEICLOUD_SDK_AK,
    secretKey: clean.HUAWEICLOUD_SDK_SK,
    securityToken: clean.HUAWEICLOUD_SDK_SECURITY_TOKEN || undefined,
    allowedProjectIds: new Set(clean.ALLOWED_PROJECT_IDS),
    callers: serviceCallers(clean, clean.ECS_ENDPOINT === ''),
  };
}

/** Every caller spends the service's identity, so service mode must know who they are, or say it need not. */
function serviceCallers(clean: { SERVICE_CALLER_AUTH: string; JWT_JWKS_URL: string; JWT_ISSUER: string; JWT_AUDIENCE: string }, sandbox: boolean): ServiceCallers {
  if (clean.SERVICE_CALLER_AUTH === 'network') return { kind: 'network' };
  // The built-in sandbox holds no real data and spends no real key: like passthrough, it needs no caller credential.
  if (sandbox && clean.JWT_JWKS_URL === '' && clean.JWT_ISSUER === '' && clean.JWT_AUDIENCE === '') return { kind: 'network' };
  const missing = (['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const)
    .filter((name) => clean[name] === '')
    .map((name) => `  ${name}: required when AUTH_MODE=service with SERVICE_CALLER_AUTH=jwt (or set SERVICE_CALLER_AUTH=network if only the gateway can reach this service)`);
  if (missing.length > 0) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  return { kind: 'jwt', jwksUrl: new URL(clean.JWT_JWKS_URL), issuer: clean.JWT_ISSUER, audience: clean.JWT_AUDIENCE };
}

/** The settings as they are with an empty environment: the defaults tests and tools start from. */
export const defaultConfig = (): Config => loadConfig({});

/** ECS's regional host; IMS lives at the same region's `ims.` host. */
const ECS_REGIONAL_HOST = /^ecs\.([a-z0-9-]+)\.myhuaweicloud\.com$/;

function backendConfig(clean: { IMAGE_BACKEND: string; IMS_ENDPOINT: string; ECS_ENDPOINT: string; SHADOW_SAMPLE_RATE: number; SHADOW_MAX_CONCURRENCY: number }): BackendConfig {
  const kind = clean.IMAGE_BACKEND as BackendConfig['kind'];
  const shadow = { sampleRate: clean.SHADOW_SAMPLE_RATE, maxConcurrency: clean.SHADOW_MAX_CONCURRENCY };
  if (kind === 'ecs') return { kind, imsEndpoint: undefined, imsDerived: false, shadow };
  if (clean.IMS_ENDPOINT !== '') {
    // Comparing the sandbox's sample images with a real IMS would only report differences.
    if (kind === 'shadow' && clean.ECS_ENDPOINT === '') throw new ConfigError('Invalid configuration:\n  ECS_ENDPOINT: required with IMAGE_BACKEND=shadow when IMS_ENDPOINT is set (shadow compares the two)');
    return { kind, imsEndpoint: new URL(clean.IMS_ENDPOINT), imsDerived: false, shadow };
  }
  if (clean.ECS_ENDPOINT === '') return { kind, imsEndpoint: undefined, imsDerived: false, shadow };
  const ecs = new URL(clean.ECS_ENDPOINT);
  const region = ECS_REGIONAL_HOST.exec(ecs.hostname)?.[1];
  if (region === undefined) {
    throw new ConfigError(
      `Invalid configuration:\n  IMS_ENDPOINT: required with IMAGE_BACKEND=${kind}, since ECS_ENDPOINT (${ecs.host}) is not of the form ecs.{region}.myhuaweicloud.com to derive it from`,
    );
  }
  const ims = new URL(ecs.href);
  ims.hostname = `ims.${region}.myhuaweicloud.com`;
  return { kind, imsEndpoint: ims, imsDerived: true, shadow };
}
