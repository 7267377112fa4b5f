import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { DOCUMENTS, documentUrl, tablesIn, withGeneratedTables } from '../../scripts/doc-tables.js';

/** The whole message, and nothing else: every problem, each on its line. */
const exactly = (message: string) => new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

describe('loadConfig', () => {
  it('has working defaults: the sandbox, port 4000, loopback', () => {
    expect(loadConfig({})).toEqual({
      server: {
        port: 4000,
        host: '127.0.0.1',
        maxBodyBytes: 100_000,
        corsOrigins: [],
        graphiql: true,
        introspection: true,
        trustedDocumentsFile: undefined,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        idleTimeoutMs: 40_000,
        drainMs: 0,
        graceMs: 15_000,
      },
      backend: {
        kind: 'ecs',
        ecsEndpoint: undefined,
        imsEndpoint: undefined,
        imsDerived: false,
        sandboxRequested: false,
        shadow: { sampleRate: 0.1, maxConcurrency: 4 },
        deprecation: { deprecatedAt: new Date('2017-02-22T00:00:00Z'), sunsetAt: undefined },
      },
      upstream: {
        maxConnections: 20,
        attemptTimeoutMs: 5000,
        retries: 2,
        retryBaseDelayMs: 200,
        retryMaxDelayMs: 5000,
        retryBudget: { percent: 20, minPerSecond: 5 },
        circuit: { failureRate: 0.5, windowMs: 10_000, minCalls: 20, halfOpenAfterMs: 5000 },
      },
      callers: { auth: { mode: 'passthrough' }, rate: { calls: 20, windowSeconds: 1, burst: 200, burstWindowSeconds: 10 }, refusalTtlMs: 5000, refusalsPerAddressPerMinute: 20 },
      cache: { ttlMs: 60_000, notFoundTtlMs: 10_000, staleIfErrorMs: 300_000, maxBytes: 64 * 1024 * 1024, keySecret: undefined },
      redis: { topology: undefined, commandTimeoutMs: 250 },
      limits: {
        imagesMaxIds: 100,
        maxImages: 200,
        maxResponseBytes: 8 * 1024 * 1024,
        deadlineMs: 10_000,
        concurrency: 10,
        maxDepth: 10,
        maxAliases: 20,
        maxTokens: 2000,
        maxCost: 5000,
        maxDirectives: 20,
      },
      telemetry: { metricsPort: undefined, otlpEndpoint: undefined, serviceName: 'ecs-image-graph', logLevel: 'info' },
    });
  });

  it('derives the IMS endpoint of the ECS endpoint\'s region, or refuses IMS without one', () => {
    const derived = loadConfig({ IMAGE_BACKEND: 'ims', ECS_ENDPOINT: 'https://ecs.ap-southeast-1.myhuaweicloud.com' }).backend;
    expect(derived).toMatchObject({ kind: 'ims', imsDerived: true });
    expect(derived.imsEndpoint?.href).toBe('https://ims.ap-southeast-1.myhuaweicloud.com/');
    // No endpoint at all: the built-in sandbox serves both APIs.
    expect(loadConfig({ IMAGE_BACKEND: 'shadow' }).backend).toMatchObject({ kind: 'shadow', imsEndpoint: undefined, imsDerived: false });
    // With ecs, IMS is not needed, whatever ECS_ENDPOINT is.
    expect(loadConfig({ ECS_ENDPOINT: 'http://127.0.0.1:8080' }).backend.imsEndpoint).toBeUndefined();
    expect(() => loadConfig({ IMAGE_BACKEND: 'shadow', IMS_ENDPOINT: 'https://ims.cn-north-4.myhuaweicloud.com' })).toThrow(
      'Invalid configuration:\n  ECS_ENDPOINT: required with IMAGE_BACKEND=shadow when IMS_ENDPOINT is set (shadow compares the two)',
    );
    for (const kind of ['ims', 'shadow']) {
      expect(() => loadConfig({ IMAGE_BACKEND: kind, ECS_ENDPOINT: 'http://127.0.0.1:8080' })).toThrow(
        `Invalid configuration:\n  IMS_ENDPOINT: required with IMAGE_BACKEND=${kind}, since ECS_ENDPOINT (127.0.0.1:8080) is not of the form ecs.{region}.myhuaweicloud.com to derive it from`,
      );
    }
  });

  it('sizes the in-memory cache from the memory the process may use, unless CACHE_MAX_BYTES says', () => {
    const MiB = 1024 * 1024;
    expect(loadConfig({}, 256 * MiB).cache.maxBytes).toBe(32 * MiB);
    expect(loadConfig({}, 512 * MiB).cache.maxBytes).toBe(64 * MiB);
    expect(loadConfig({}, 16 * 1024 * MiB).cache.maxBytes).toBe(64 * MiB);
    expect(loadConfig({ CACHE_MAX_BYTES: '' }, 256 * MiB).cache.maxBytes).toBe(32 * MiB);
    expect(loadConfig({ CACHE_MAX_BYTES: '1048576' }, 256 * MiB).cache.maxBytes).toBe(MiB);
    expect(() => loadConfig({ CACHE_MAX_BYTES: '64MiB' })).toThrow(exactly('Invalid configuration:\n  CACHE_MAX_BYTES: must be a whole number from 1024 to 1099511627776, or empty for none, got "64MiB"'));
  });

  it('in production, refuses to start without the endpoint of the API that answers, unless SANDBOX=true asks for the sandbox', () => {
    const instead = 'without it the built-in sandbox would answer with sample images (set SANDBOX=true to serve the sandbox on purpose)';
    for (const kind of ['ecs', 'shadow']) {
      expect(() => loadConfig({ NODE_ENV: 'production', IMAGE_BACKEND: kind })).toThrow(exactly(`Invalid configuration:\n  ECS_ENDPOINT: required when NODE_ENV=production: ${instead}`));
    }
    expect(() => loadConfig({ NODE_ENV: 'production', IMAGE_BACKEND: 'ims' })).toThrow(
      exactly(`Invalid configuration:\n  IMS_ENDPOINT: required when NODE_ENV=production with IMAGE_BACKEND=ims (or a regional ECS_ENDPOINT to derive it from): ${instead}`),
    );
    // Shadow mode with IMS alone is refused once, for what it lacks.
    expect(() => loadConfig({ NODE_ENV: 'production', IMAGE_BACKEND: 'shadow', IMS_ENDPOINT: 'https://ims.cn-north-4.myhuaweicloud.com' })).toThrow(
      exactly('Invalid configuration:\n  ECS_ENDPOINT: required with IMAGE_BACKEND=shadow when IMS_ENDPOINT is set (shadow compares the two)'),
    );
    // An endpoint of the API that answers, set or derived: production starts.
    expect(loadConfig({ NODE_ENV: 'production', ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' }).backend.ecsEndpoint?.href).toBe('https://ecs.cn-north-4.myhuaweicloud.com/');
    expect(loadConfig({ NODE_ENV: 'production', IMAGE_BACKEND: 'ims', ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' }).backend.imsDerived).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', IMAGE_BACKEND: 'ims', IMS_ENDPOINT: 'https://ims.cn-north-4.myhuaweicloud.com' }).backend.kind).toBe('ims');
    // The sandbox on purpose, in production or not.
    for (const NODE_ENV of ['production', 'development']) {
      expect(loadConfig({ NODE_ENV, SANDBOX: 'true' }).backend).toMatchObject({ ecsEndpoint: undefined, imsEndpoint: undefined, sandboxRequested: true });
    }
  });

  it('outside production, serves the sandbox for want of an endpoint, as before', () => {
    for (const NODE_ENV of [undefined, '', 'development', 'test', 'staging']) {
      expect(loadConfig(NODE_ENV === undefined ? {} : { NODE_ENV }).backend).toMatchObject({ ecsEndpoint: undefined, sandboxRequested: false });
    }
  });

  it('refuses SANDBOX=true beside an endpoint, and a NODE_ENV that looks like production but is not it', () => {
    expect(() => loadConfig({ SANDBOX: 'true', ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' })).toThrow(
      exactly('Invalid configuration:\n  SANDBOX: true serves the built-in sandbox instead of any upstream, but ECS_ENDPOINT is set: unset one or the other'),
    );
    expect(() => loadConfig({ NODE_ENV: 'production', SANDBOX: 'true', IMAGE_BACKEND: 'ims', IMS_ENDPOINT: 'https://ims.example.internal', ECS_ENDPOINT: 'https://ecs.example.internal' })).toThrow(
      exactly('Invalid configuration:\n  SANDBOX: true serves the built-in sandbox instead of any upstream, but ECS_ENDPOINT and IMS_ENDPOINT are set: unset one or the other'),
    );
    for (const NODE_ENV of ['Production', 'PRODUCTION', 'production ']) {
      expect(() => loadConfig({ NODE_ENV })).toThrow(exactly(`Invalid configuration:\n  NODE_ENV: must be exactly "production" (lower case, no spaces) to mean production, got "${NODE_ENV}"`));
    }
    expect(() => loadConfig({ NODE_ENV: 'production', SANDBOX: 'maybe' })).toThrow(exactly('Invalid configuration:\n  SANDBOX: Invalid bool input: "maybe"'));
  });

  it('treats an empty ECS_ENDPOINT as unset and keeps a path prefix', () => {
    expect(loadConfig({ ECS_ENDPOINT: '' }).backend.ecsEndpoint).toBeUndefined();
    expect(loadConfig({ ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' }).backend.ecsEndpoint?.href).toBe('https://ecs.cn-north-4.myhuaweicloud.com/');
    expect(loadConfig({ ECS_ENDPOINT: 'http://127.0.0.1:8080/proxy/ecs/' }).backend.ecsEndpoint?.href).toBe('http://127.0.0.1:8080/proxy/ecs/');
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      IMAGE_BACKEND: 'ims',
      IMS_ENDPOINT: 'https://ims.example.internal:8443/ims/',
      NODE_ENV: 'production',
      SANDBOX: 'false',
      SHADOW_SAMPLE_RATE: '1',
      SHADOW_MAX_CONCURRENCY: '9',
      LEGACY_DEPRECATION_DATE: '2024-03-31',
      LEGACY_SUNSET_DATE: '2027-06-30',
      IMAGES_MAX_IDS: '250',
      MAX_IMAGES_PER_OPERATION: '500',
      MAX_RESPONSE_BYTES: '1048576',
      OPERATION_DEADLINE_MS: '3000',
      UPSTREAM_CONCURRENCY_PER_OPERATION: '3',
      UPSTREAM_MAX_CONNECTIONS: '7',
      UPSTREAM_TIMEOUT_MS: '1500',
      UPSTREAM_RETRIES: '0',
      UPSTREAM_RETRY_BASE_DELAY_MS: '50',
      UPSTREAM_RETRY_MAX_DELAY_MS: '900',
      UPSTREAM_RETRY_BUDGET_PERCENT: '10',
      UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND: '2',
      UPSTREAM_CALLS_PER_CALLER_PER_SECOND: '50',
      UPSTREAM_CALLS_PER_CALLER_BURST: '120',
      UPSTREAM_AUTH_FAILURE_CACHE_SECONDS: '3',
      UPSTREAM_REFUSALS_PER_ADDRESS_PER_MINUTE: '7',
      JWT_MAX_AGE_SECONDS: '600',
      METRICS_PORT: '9464',
      CIRCUIT_FAILURE_RATE: '0.25',
      CIRCUIT_WINDOW_MS: '30000',
      CIRCUIT_MIN_CALLS: '5',
      CIRCUIT_HALF_OPEN_AFTER_MS: '2000',
      AUTH_MODE: 'service',
      HUAWEICLOUD_SDK_AK: 'AKEXAMPLE',
      HUAWEICLOUD_SDK_SK: 'sk-example',
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sts-token',
      ALLOWED_PROJECT_IDS: '9C53A566CB3443AB910CF0DAEBCA90C4, 0f1e2d3c4b5a69788796a5b4c3d2e1f0,',
      SERVICE_CALLER_AUTH: 'jwt',
      JWT_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
      JWT_ISSUER: 'https://auth.example.com/',
      JWT_AUDIENCE: 'ecs-image-graph',
      CACHE_TTL_SECONDS: '30',
      CACHE_NOT_FOUND_TTL_SECONDS: '0',
      CACHE_STALE_IF_ERROR_SECONDS: '60',
      CACHE_MAX_BYTES: '1048576',
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      REDIS_COMMAND_TIMEOUT_MS: '400',
      CACHE_KEY_SECRET: 'k'.repeat(40),
      MAX_BODY_BYTES: '4096',
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_REQUEST_TIMEOUT_MS: '20000',
      HTTP_IDLE_TIMEOUT_MS: '15000',
      MAX_DEPTH: '5',
      MAX_ALIASES: '3',
      MAX_TOKENS: '300',
      MAX_COST: '900',
      MAX_DIRECTIVES: '2',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      GRAPHIQL: 'false',
      INTROSPECTION: 'false',
      TRUSTED_DOCUMENTS_FILE: '/etc/ecs-image-graph/documents.json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'images',
      SHUTDOWN_DRAIN_MS: '5000',
      SHUTDOWN_GRACE_MS: '20000',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      server: {
        port: 0,
        host: '0.0.0.0',
        maxBodyBytes: 4096,
        corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
        graphiql: false,
        introspection: false,
        trustedDocumentsFile: '/etc/ecs-image-graph/documents.json',
        headersTimeoutMs: 5000,
        requestTimeoutMs: 20_000,
        idleTimeoutMs: 18_000,
        drainMs: 5000,
        graceMs: 20_000,
      },
      backend: {
        kind: 'ims',
        ecsEndpoint: undefined,
        imsEndpoint: new URL('https://ims.example.internal:8443/ims/'),
        imsDerived: false,
        sandboxRequested: false,
        shadow: { sampleRate: 1, maxConcurrency: 9 },
        deprecation: { deprecatedAt: new Date('2024-03-31T00:00:00Z'), sunsetAt: new Date('2027-06-30T00:00:00Z') },
      },
      upstream: {
        maxConnections: 7,
        attemptTimeoutMs: 1500,
        retries: 0,
        retryBaseDelayMs: 50,
        retryMaxDelayMs: 900,
        retryBudget: { percent: 10, minPerSecond: 2 },
        circuit: { failureRate: 0.25, windowMs: 30_000, minCalls: 5, halfOpenAfterMs: 2000 },
      },
      callers: {
        auth: {
          mode: 'service',
          accessKey: 'AKEXAMPLE',
          secretKey: 'sk-example',
          securityToken: 'sts-token',
          allowedProjectIds: new Set(['9c53a566cb3443ab910cf0daebca90c4', '0f1e2d3c4b5a69788796a5b4c3d2e1f0']),
          callers: { kind: 'jwt', jwksUrl: new URL('https://auth.example.com/.well-known/jwks.json'), issuer: 'https://auth.example.com/', audience: 'ecs-image-graph', jwksRefreshMs: 600_000, maxTokenAgeSeconds: 600 },
        },
        rate: { calls: 50, windowSeconds: 1, burst: 120, burstWindowSeconds: 10 },
        refusalTtlMs: 3000,
        refusalsPerAddressPerMinute: 7,
      },
      cache: { ttlMs: 30_000, notFoundTtlMs: 0, staleIfErrorMs: 60_000, maxBytes: 1_048_576, keySecret: 'k'.repeat(40) },
      redis: { topology: { kind: 'single', url: 'redis://127.0.0.1:6380/2', username: undefined, password: undefined }, commandTimeoutMs: 400 },
      limits: {
        imagesMaxIds: 250,
        maxImages: 500,
        maxResponseBytes: 1_048_576,
        deadlineMs: 3000,
        concurrency: 3,
        maxDepth: 5,
        maxAliases: 3,
        maxTokens: 300,
        maxCost: 900,
        maxDirectives: 2,
      },
      telemetry: { metricsPort: 9464, otlpEndpoint: 'http://collector:4318/', serviceName: 'images', logLevel: 'debug' },
    });
  });

  it.each([
    [{ PORT: 'eighty' }, '  PORT: must be a whole number from 0 to 65535, got "eighty"'],
    [{ PORT: '65536' }, '  PORT: must be a whole number from 0 to 65535, got "65536"'],
    [{ UPSTREAM_CONCURRENCY_PER_OPERATION: '0' }, '  UPSTREAM_CONCURRENCY_PER_OPERATION: must be a whole number from 1 to 1000, got "0"'],
    [{ IMAGES_MAX_IDS: '1.5' }, '  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "1.5"'],
    [{ ECS_ENDPOINT: 'ecs.cn-north-4.myhuaweicloud.com' }, '  ECS_ENDPOINT: must be a URL such as https://ecs.cn-north-4.myhuaweicloud.com'],
    [{ ECS_ENDPOINT: 'ftp://ecs.example.com' }, '  ECS_ENDPOINT: must use http or https'],
    [{ ECS_ENDPOINT: 'https://ecs.example.com/?region=x' }, '  ECS_ENDPOINT: must not have a query string or fragment'],
    [{ CIRCUIT_FAILURE_RATE: '1' }, '  CIRCUIT_FAILURE_RATE: must be a number between 0 and 1 (exclusive), got "1"'],
    [{ CIRCUIT_FAILURE_RATE: '50%' }, '  CIRCUIT_FAILURE_RATE: must be a number between 0 and 1 (exclusive), got "50%"'],
    [{ IMAGE_BACKEND: 'nova' }, '  IMAGE_BACKEND: Value "nova" not in choices [ecs,ims,shadow]'],
    [{ SHADOW_SAMPLE_RATE: '1.5' }, '  SHADOW_SAMPLE_RATE: must be a number from 0 to 1, got "1.5"'],
    [{ LEGACY_SUNSET_DATE: '2027-02-30' }, '  LEGACY_SUNSET_DATE: must be a date such as 2027-06-30, got "2027-02-30"'],
    [{ LEGACY_DEPRECATION_DATE: '30/06/2027' }, '  LEGACY_DEPRECATION_DATE: must be a date such as 2027-06-30, got "30/06/2027"'],
    [{ LEGACY_DEPRECATION_DATE: '' }, '  LEGACY_DEPRECATION_DATE: must be a date such as 2027-06-30, got ""'],
    [{ LEGACY_SUNSET_DATE: '2016-12-31' }, '  LEGACY_SUNSET_DATE: must not be before LEGACY_DEPRECATION_DATE (RFC 9745: a resource is deprecated before it sunsets)'],
    [{ UPSTREAM_RETRIES: '11' }, '  UPSTREAM_RETRIES: must be a whole number from 0 to 10, got "11"'],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, '  CORS_ORIGINS: item 1 is not an origin such as https://app.example.com (scheme, host and port only)'],
    [{ CORS_ORIGINS: 'https://a.example.com,*' }, '  CORS_ORIGINS: item 2 is not an origin such as https://app.example.com (scheme, host and port only)'],
    [{ MAX_BODY_BYTES: '10' }, '  MAX_BODY_BYTES: must be a whole number from 1024 to 104857600, got "10"'],
    [{ LOG_LEVEL: 'loud' }, '  LOG_LEVEL: Value "loud" not in choices [fatal,error,warn,info,debug,trace,silent]'],
  ])('refuses %j with a precise message', (env, line) => {
    expect(() => loadConfig(env)).toThrow(exactly(`Invalid configuration:\n${line}`));
  });

  it('refuses to start in service mode without its identity or its allow-list', () => {
    expect(() => loadConfig({ AUTH_MODE: 'service' })).toThrow(
      exactly(
        'Invalid configuration:\n  HUAWEICLOUD_SDK_AK: required when AUTH_MODE=service\n  HUAWEICLOUD_SDK_SK: required when AUTH_MODE=service\n' +
          '  ALLOWED_PROJECT_IDS: required when AUTH_MODE=service: list the project ids this service may read with its own identity',
      ),
    );
    expect(() => loadConfig({ AUTH_MODE: 'service', HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK' })).toThrow(
      'ALLOWED_PROJECT_IDS: required when AUTH_MODE=service',
    );
    expect(() => loadConfig({ AUTH_MODE: 'service', HUAWEICLOUD_SDK_AK: 'AK', ALLOWED_PROJECT_IDS: '9c53a566cb3443ab910cf0daebca90c4' })).toThrow(
      exactly('Invalid configuration:\n  HUAWEICLOUD_SDK_SK: required when AUTH_MODE=service'),
    );
  });

  it('refuses a bad allow-list, naming the item', () => {
    expect(() => loadConfig({ ALLOWED_PROJECT_IDS: '9c53a566cb3443ab910cf0daebca90c4,../x' })).toThrow(
      exactly('Invalid configuration:\n  ALLOWED_PROJECT_IDS: item 2 is not a project id (32 hexadecimal characters)'),
    );
  });

  it('needs a shared CACHE_KEY_SECRET with Redis in passthrough mode, whatever its topology, so replicas agree on keys', () => {
    const needed = 'CACHE_KEY_SECRET: required, at least 32 characters, with Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES) in passthrough mode, so that every replica derives the same cache keys';
    for (const topology of [{ REDIS_URL: 'redis://127.0.0.1:6379' }, { REDIS_SENTINELS: 'sentinel:26379', REDIS_SENTINEL_MASTER: 'mymaster' }, { REDIS_CLUSTER_NODES: 'redis-0:6379' }]) {
      expect(() => loadConfig(topology)).toThrow(exactly(`Invalid configuration:\n  ${needed}`));
    }
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', CACHE_KEY_SECRET: 'x'.repeat(31) })).toThrow('CACHE_KEY_SECRET: required, at least 32 characters');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', CACHE_KEY_SECRET: 'x'.repeat(32) }).redis.topology).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379', username: undefined, password: undefined });
  });

  describe('Redis, in one of three topologies', () => {
    const SECRET = { CACHE_KEY_SECRET: 'x'.repeat(32) };

    it('reads one server (with TLS and an ACL user), Sentinel and Cluster, with their credentials', () => {
      expect(loadConfig({ ...SECRET, REDIS_URL: 'rediss://images:pw@redis.example.internal:6380/1' }).redis.topology).toEqual({
        kind: 'single',
        url: 'rediss://images:pw@redis.example.internal:6380/1',
        username: undefined,
        password: undefined,
      });
      expect(loadConfig({ ...SECRET, REDIS_URL: 'redis://redis:6379', REDIS_USERNAME: 'images', REDIS_PASSWORD: 'pw' }).redis.topology).toEqual({
        kind: 'single',
        url: 'redis://redis:6379',
        username: 'images',
        password: 'pw',
      });
      expect(
        loadConfig({
          ...SECRET,
          REDIS_SENTINELS: 'sentinel-0.sentinel:26379, 10.0.0.7:26379,[fd00::7]:26380',
          REDIS_SENTINEL_MASTER: 'mymaster',
          REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
          REDIS_PASSWORD: 'data-pw',
        }).redis.topology,
      ).toEqual({
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-0.sentinel', port: 26379 },
          { host: '10.0.0.7', port: 26379 },
          { host: 'fd00::7', port: 26380 },
        ],
        master: 'mymaster',
        sentinelPassword: 'sentinel-pw',
        username: undefined,
        password: 'data-pw',
      });
      expect(loadConfig({ ...SECRET, REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379', REDIS_USERNAME: 'images', REDIS_PASSWORD: 'pw' }).redis.topology).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'redis-0', port: 6379 },
          { host: 'redis-1', port: 6379 },
        ],
        username: 'images',
        password: 'pw',
      });
    });

    it('refuses two topologies at once, naming both', () => {
      expect(() => loadConfig({ ...SECRET, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'r:6379' })).toThrow(
        exactly(
          'Invalid configuration:\n  REDIS_CLUSTER_NODES: set together with REDIS_SENTINELS: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) and REDIS_CLUSTER_NODES (Cluster)',
        ),
      );
      expect(() => loadConfig({ ...SECRET, REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_CLUSTER_NODES: 'r:6379' })).toThrow(
        exactly(
          'Invalid configuration:\n  REDIS_CLUSTER_NODES: set together with REDIS_URL and REDIS_SENTINELS: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) and REDIS_CLUSTER_NODES (Cluster)',
        ),
      );
    });

    it('names the list whose host:port cannot be read, with every other problem, and never echoes a password', () => {
      let message = '';
      try {
        loadConfig({ REDIS_SENTINELS: 'sentinel-0:26379,sentinel-1', REDIS_CLUSTER_NODES: 'redis-0:70000', REDIS_SENTINEL_PASSWORD: ' s3cret ' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'Invalid configuration:\n' +
          '  REDIS_SENTINELS: item 2 is not a host:port such as redis-0.redis:6379\n' +
          '  REDIS_SENTINEL_PASSWORD: must not start or end with spaces (the value is not shown)\n' +
          '  REDIS_CLUSTER_NODES: item 1 is not a host:port such as redis-0.redis:6379',
      );
      for (const bad of ['redis-0', ':6379', 'redis-0:', 'redis-0:0', 'redis://redis-0:6379', 'fd00::7:6379', 'user:pw@redis-0:6379']) {
        expect(() => loadConfig({ ...SECRET, REDIS_CLUSTER_NODES: bad })).toThrow(exactly('Invalid configuration:\n  REDIS_CLUSTER_NODES: item 1 is not a host:port such as redis-0.redis:6379'));
      }
    });

    it('refuses what would be silently ignored: a Sentinel setting without sentinels, credentials without Redis, a credential in two places', () => {
      expect(() => loadConfig({ ...SECRET, REDIS_SENTINELS: 's:26379' })).toThrow(
        exactly('Invalid configuration:\n  REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS: the name of the master group the sentinels monitor (their "sentinel monitor <name>" line)'),
      );
      expect(() => loadConfig({ REDIS_SENTINEL_MASTER: 'mymaster', REDIS_SENTINEL_PASSWORD: 'pw', REDIS_USERNAME: 'images', REDIS_PASSWORD: 'pw' })).toThrow(
        exactly(
          'Invalid configuration:\n' +
            '  REDIS_SENTINEL_MASTER: only used with REDIS_SENTINELS, which is not set\n' +
            '  REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS, which is not set\n' +
            '  REDIS_USERNAME: only used with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, none of which is set\n' +
            '  REDIS_PASSWORD: only used with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, none of which is set',
        ),
      );
      expect(() => loadConfig({ ...SECRET, REDIS_CLUSTER_NODES: 'r:6379', REDIS_SENTINEL_MASTER: 'mymaster' })).toThrow(
        exactly('Invalid configuration:\n  REDIS_SENTINEL_MASTER: only used with REDIS_SENTINELS, which is not set'),
      );
      expect(() => loadConfig({ ...SECRET, REDIS_URL: 'redis://:pw@r:6379', REDIS_PASSWORD: 'other' })).toThrow(
        exactly('Invalid configuration:\n  REDIS_PASSWORD: set together with a password in REDIS_URL: give it in one place'),
      );
      expect(() => loadConfig({ ...SECRET, REDIS_URL: 'redis://images@r:6379', REDIS_USERNAME: 'other' })).toThrow(
        exactly('Invalid configuration:\n  REDIS_USERNAME: set together with a user name in REDIS_URL: give it in one place'),
      );
      // ioredis reads options, a password among them, from the query: the logs would carry it.
      expect(() => loadConfig({ ...SECRET, REDIS_URL: 'redis://r:6379/0?password=s3cret' })).toThrow(
        exactly('Invalid configuration:\n  REDIS_URL: has a query string (?...): give the password in the URL (redis://:PASSWORD@host) or REDIS_PASSWORD'),
      );
    });
  });

  it('in service mode against a real endpoint, needs the JWT settings that authenticate callers, or SERVICE_CALLER_AUTH=network', () => {
    const service = { AUTH_MODE: 'service', HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK', ALLOWED_PROJECT_IDS: '9c53a566cb3443ab910cf0daebca90c4', ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' };
    const needs = (variable: string) => `  ${variable}: required when AUTH_MODE=service with SERVICE_CALLER_AUTH=jwt (or set SERVICE_CALLER_AUTH=network if only the gateway can reach this service)`;
    expect(() => loadConfig(service)).toThrow(exactly(`Invalid configuration:\n${needs('JWT_JWKS_URL')}\n${needs('JWT_ISSUER')}\n${needs('JWT_AUDIENCE')}`));
    expect(() => loadConfig({ ...service, JWT_JWKS_URL: 'https://auth.example.com/jwks.json', JWT_ISSUER: 'https://auth.example.com/' })).toThrow(exactly(`Invalid configuration:\n${needs('JWT_AUDIENCE')}`));
    expect(loadConfig({ ...service, SERVICE_CALLER_AUTH: 'network' }).callers.auth).toMatchObject({ mode: 'service', callers: { kind: 'network' } });
  });

  it('never echoes a secret, even a malformed one', () => {
    const secret = ' sk-with-spaces ';
    let message = '';
    try {
      loadConfig({ HUAWEICLOUD_SDK_SK: secret, REDIS_URL: 'http://user:p4ss@redis' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'Invalid configuration:\n  HUAWEICLOUD_SDK_SK: must not start or end with spaces (the value is not shown)\n  REDIS_URL: must use redis or rediss',
    );
  });

  it('never echoes credentials in an endpoint', () => {
    expect(() => loadConfig({ ECS_ENDPOINT: 'https://user:s3cret@ecs.example.com' })).toThrow(
      exactly('Invalid configuration:\n  ECS_ENDPOINT: must not contain credentials'),
    );
  });

  it('refuses settings that contradict each other', () => {
    expect(() => loadConfig({ IMAGES_MAX_IDS: '300' })).toThrow(
      exactly('Invalid configuration:\n  IMAGES_MAX_IDS: must not be more than MAX_IMAGES_PER_OPERATION (one full images field must fit in an operation)'),
    );
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      'HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS',
    );
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://user:secret@auth.example.com/jwks.json' })).toThrow(
      exactly('Invalid configuration:\n  JWT_JWKS_URL: must not contain credentials'),
    );
  });

  it('lists every bad setting at once, those that contradict each other included', () => {
    expect(() => loadConfig({ PORT: 'x', IMAGES_MAX_IDS: '0', AUTH_MODE: 'service', ALLOWED_PROJECT_IDS: '9c53a566cb3443ab910cf0daebca90c4', HUAWEICLOUD_SDK_AK: 'AK', HTTP_HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      exactly(
        'Invalid configuration:\n' +
          '  PORT: must be a whole number from 0 to 65535, got "x"\n' +
          '  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "0"\n' +
          '  HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)\n' +
          '  HUAWEICLOUD_SDK_SK: required when AUTH_MODE=service',
      ),
    );
  });

  it('judges no rule on a value that failed its own check', () => {
    // IMAGES_MAX_IDS is refused once, for its range, not again for being over MAX_IMAGES_PER_OPERATION.
    expect(() => loadConfig({ IMAGES_MAX_IDS: '20000', MAX_IMAGES_PER_OPERATION: 'many' })).toThrow(
      exactly(
        'Invalid configuration:\n  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "20000"\n  MAX_IMAGES_PER_OPERATION: must be a whole number from 1 to 100000, got "many"',
      ),
    );
  });
});

describe('the generated tables of the documentation', () => {
  it.each(Object.keys(DOCUMENTS))('%s documents what the code says now (run `npm run docs` after changing it)', async (path) => {
    const text = await readFile(documentUrl(path), 'utf8');
    expect(text).toBe(withGeneratedTables(path, text));
  });

  it('are all in files the script rewrites: no page holds a table that `npm run docs` would miss', async () => {
    const pages = ['README.md', ...(await readdir(documentUrl('docs/'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
    const holding: string[] = [];
    for (const page of pages) if (tablesIn(await readFile(documentUrl(page), 'utf8')).length > 0) holding.push(page);
    expect(holding.sort()).toEqual(Object.keys(DOCUMENTS).sort());
  });
});
