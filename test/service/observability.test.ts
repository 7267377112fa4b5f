import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { captureLogs } from '../helpers/logs.js';
import { scrape } from '../helpers/metrics.js';
import { freePort } from '../helpers/redis.js';
import { appFor, withStack } from '../helpers/stack.js';
import { gate, until } from '../helpers/until.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
const TOKEN = 'MIIZ-a-real-looking-token-that-must-not-be-logged-0123456789';

describe('/metrics', () => {
  it('counts operations, errors by code, deprecated fields by client, upstream calls, retries, cache and batches', async () => {
    await withStack({ cache: { ttlMs: 60_000 }, upstream: { retries: 1, retryBaseDelayMs: 1 } }, async (stack) => {
      const web = { 'graphql-client-name': 'web-console', 'x-auth-token': TOKEN };
      const mobile = { 'apollographql-client-name': 'ios-app', 'x-auth-token': TOKEN };
      await stack.query(`query Detail { image(projectId: "${P}", id: "${DOC}") { osType osBit virtualEnvType } }`, { headers: web });
      await stack.query(`query Detail { image(projectId: "${P}", id: "${DOC}") { osType } }`, { headers: mobile });
      await stack.query(`query Broken { a: image(projectId: "${P}", id: "${FAULTS.forbidden.imageId}") { id } b: image(projectId: "${P}", id: "${FAULTS.error.imageId}") { id } }`, { headers: web });
      await stack.query(`{ images(projectId: "${P}", ids: ["${DOC}", "${FAULTS.notFound.imageId}"]) { id } bad: image(projectId: "${P}", id: "../x") { id } }`);
      expect((await stack.app.fetch('http://localhost/healthz')).status).toBe(200);

      const metrics = await scrape(stack.app);
      expect(metrics.status).toBe(200);
      expect(metrics.contentType).toMatch(/^text\/plain/);

      expect(metrics.value('graphql_envelop_request', { operationName: 'Detail', operationType: 'query' })).toBe(2);
      expect(metrics.value('graphql_envelop_request', { operationName: 'Broken', operationType: 'query' })).toBe(1);
      expect(metrics.count('graphql_envelop_request_duration', { operationName: 'Detail', operationType: 'query' })).toBe(2);
      expect(metrics.value('graphql_envelop_error_result', { operationName: 'Broken', operationType: 'query', phase: 'execute', code: 'FORBIDDEN' })).toBe(1);
      expect(metrics.value('graphql_envelop_error_result', { operationName: 'Broken', operationType: 'query', phase: 'execute', code: 'UPSTREAM_UNAVAILABLE' })).toBe(1);
      expect(metrics.value('graphql_envelop_error_result', { operationName: 'Anonymous', operationType: 'query', phase: 'execute', code: 'BAD_USER_INPUT' })).toBe(1);

      // The migration's number: each deprecated field, by client. virtualEnvType is not deprecated.
      expect(metrics.labelSets('graphql_envelop_deprecated_field').sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
        { operationName: 'Detail', typeName: 'Image', fieldName: 'osBit', clientName: 'web-console' },
        { operationName: 'Detail', typeName: 'Image', fieldName: 'osType', clientName: 'ios-app' },
        { operationName: 'Detail', typeName: 'Image', fieldName: 'osType', clientName: 'web-console' },
      ]);
      expect(metrics.value('graphql_envelop_deprecated_field', { operationName: 'Detail', typeName: 'Image', fieldName: 'osType', clientName: 'web-console' })).toBe(1);

      // Upstream: DOC once (then cached for the same token; the anonymous images query is another scope),
      // 403 once, 500 twice (one retry), Huawei 404 once.
      expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: '200' })).toBe(2);
      expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: '403' })).toBe(1);
      expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: '500' })).toBe(2);
      expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ecs', outcome: '404' })).toBe(1);
      expect(metrics.count('ecs_image_graph_upstream_request_duration_seconds', { backend: 'ecs', outcome: '500' })).toBe(2);
      expect(metrics.value('ecs_image_graph_upstream_retries_total', { backend: 'ecs', reason: 'unavailable' })).toBe(1);
      expect(metrics.value('ecs_image_graph_upstream_circuit_state', { backend: 'ecs' })).toBe(0);
      expect(metrics.value('ecs_image_graph_cache_lookups_total', { result: 'hit' })).toBe(1);
      expect(metrics.value('ecs_image_graph_cache_lookups_total', { result: 'miss' })).toBe(5);
      expect(metrics.count('ecs_image_graph_loader_batch_size')).toBe(4);
      expect(metrics.value('ecs_image_graph_loader_batch_size_bucket', { le: '1' })).toBe(2);
      // HTTP durations of /graphql only (not /healthz), by operation and status, and these labels only: none holds a URL.
      const http = (operationName: string) => ({ operationName, operationType: 'query', method: 'POST', statusCode: '200' });
      expect(metrics.labelSets('graphql_yoga_http_duration_count')).toEqual([http('Detail'), http('Broken'), http('Anonymous')]);
      expect([metrics.count('graphql_yoga_http_duration', http('Detail')), metrics.count('graphql_yoga_http_duration', http('Broken'))]).toEqual([2, 1]);
    });
  });

  it('says what is in flight now: requests to /graphql, and upstream calls running on a connection or queued for one', async () => {
    const slow = gate();
    // UPSTREAM_MAX_CONNECTIONS=1: of two callers' calls for the slow image, one runs and one waits for the connection.
    await withStack({ upstream: { maxConnections: 1 }, sandbox: { answerWhen: slow.passed } }, async (stack) => {
      const inFlight = async () => {
        const metrics = await scrape(stack.app);
        return [
          metrics.value('ecs_image_graph_graphql_requests_in_flight'),
          metrics.value('ecs_image_graph_upstream_calls_in_flight', { backend: 'ecs', state: 'running' }),
          metrics.value('ecs_image_graph_upstream_calls_in_flight', { backend: 'ecs', state: 'queued' }),
        ];
      };
      expect(await inFlight()).toEqual([0, 0, 0]);
      const query = `{ image(projectId: "${P}", id: "${FAULTS.slow.imageId}") { id } }`;
      const answers = ['alice', 'bob'].map((token) => stack.query(query, { headers: { 'x-auth-token': token } }));
      await until(async () => (await inFlight())[2] === 1);
      expect(await inFlight()).toEqual([2, 1, 1]);
      slow.open();
      expect((await Promise.all(answers)).map(({ body }) => body)).toEqual(Array(2).fill({ data: { image: { id: FAULTS.slow.imageId } } }));
      expect(stack.sandbox.requests).toHaveLength(2);
      expect(await inFlight()).toEqual([0, 0, 0]);
    });
  });

  it('has the counters an operator alerts on from the start, at 0, so that their first increase is seen', async () => {
    await withStack({}, async (stack) => {
      const metrics = await scrape(stack.app);
      expect(metrics.labelSets('ecs_image_graph_cache_lookups_total')).toEqual([{ result: 'hit' }, { result: 'miss' }]);
      expect(metrics.labelSets('graphql_execution_total')).toEqual([{ engine: 'compiled' }, { engine: 'interpreted' }]);
      expect(metrics.labelSets('ecs_image_graph_upstream_retries_over_budget_total')).toEqual([{}]);
      expect(metrics.labelSets('ecs_image_graph_stale_answers_total')).toEqual([{}]);
      expect(metrics.labelSets('ecs_image_graph_upstream_circuit_state')).toEqual([{ backend: 'ecs' }]);
    });
  });

  it('counts the errors of requests refused before execution by phase, with the code their client is told', async () => {
    await withStack({ limits: { maxDepth: 2 } }, async (stack) => {
      await stack.query('query Typo { image(projectId: ');
      await stack.query('query Unknown { nope }');
      await stack.query(`query Deep { image(projectId: "${P}", id: "${DOC}") { metadata { key } } }`);
      const metrics = await scrape(stack.app);
      // Refused before its caller is known: its names are not admitted (metric-names.ts), whatever they are.
      expect(metrics.labelSets('graphql_envelop_error_result')).toEqual([
        { operationName: 'other', operationType: 'unknown', phase: 'parse', code: 'GRAPHQL_PARSE_FAILED' },
        { operationName: 'other', operationType: 'unknown', phase: 'validate', code: 'GRAPHQL_VALIDATION_FAILED' },
        // GraphQL Armor's depth limit, checked while validating: BAD_USER_INPUT, as the client is told (not an internal error).
        { operationName: 'other', operationType: 'unknown', phase: 'validate', code: 'BAD_USER_INPUT' },
      ]);
      for (const labels of metrics.labelSets('graphql_envelop_error_result')) expect(metrics.value('graphql_envelop_error_result', labels)).toBe(1);
    });
  });

  it('shows the circuit opening', async () => {
    const circuit = { failureRate: 0.5, windowMs: 60_000, minCalls: 3, halfOpenAfterMs: 60_000 };
    await withStack({ upstream: { retries: 0, circuit } }, async (stack) => {
      for (let n = 0; n < 3; n += 1) await stack.query(`{ image(projectId: "${P}", id: "${FAULTS.error.imageId}") { id } }`);
      expect((await scrape(stack.app)).value('ecs_image_graph_upstream_circuit_state', { backend: 'ecs' })).toBe(2);
    });
  });
});

describe('logs', () => {
  it('write one JSON line per operation: name, client, status, duration, error codes, request id', async () => {
    const logs = captureLogs();
    await withStack({ logger: logs.logger, upstream: { retries: 0 } }, async (stack) => {
      await stack.query(`query Detail { image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'graphql-client-name': 'web-console', 'x-request-id': 'req-from-the-edge-1' } });
      const response = await stack.app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `query Broken { a: image(projectId: "${P}", id: "${FAULTS.unavailable.imageId}") { id } b: image(projectId: "${P}", id: "${FAULTS.gatewayTimeout.imageId}") { id } }` }),
      });
      const generatedId = response.headers.get('x-request-id');
      expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

      const operations = logs.lines.filter((line) => line['msg'] === 'graphql operation');
      expect(operations).toEqual([
        expect.objectContaining({ level: 30, requestId: 'req-from-the-edge-1', operationName: 'Detail', operationType: 'query', clientName: 'web-console', status: 200, errorCodes: [], errors: 0, durationMs: expect.any(Number) }),
        // Two errors of one code: each code once, and every error counted.
        expect.objectContaining({ level: 40, requestId: generatedId, operationName: 'Broken', status: 200, errorCodes: ['UPSTREAM_UNAVAILABLE'], errors: 2 }),
      ]);
      // The request id travels upstream, and the upstream's own id is logged with its failure.
      expect(stack.sandbox.requests.map((request) => request.headers['x-request-id'])).toEqual(['req-from-the-edge-1', generatedId, generatedId]);
      const failure = logs.lines.find((line) => String(line['msg']).startsWith('upstream attempt failed') && line['imageId'] === FAULTS.unavailable.imageId);
      expect(failure).toMatchObject({
        level: 40,
        requestId: generatedId,
        imageId: FAULTS.unavailable.imageId,
        outcome: '503',
        failure: 'unavailable',
        upstream: { status: 503, code: 'serviceUnavailable', requestId: expect.stringMatching(/^[0-9a-f]{32}$/) },
      });
    });
  });

  it('say why the upstream could not be reached: the root cause of a refused connection or an unknown host, never the token', async () => {
    const refusedPort = await freePort();
    const cases = [
      { endpoint: `http://127.0.0.1:${refusedPort}`, cause: { code: 'ECONNREFUSED', message: `connect ECONNREFUSED 127.0.0.1:${refusedPort}` } },
      // RFC 6761: no .invalid name ever resolves. A resolver that cannot be asked at all says EAI_AGAIN instead.
      { endpoint: 'http://ecs.cn-north-4.invalid', cause: { code: expect.stringMatching(/^(ENOTFOUND|EAI_AGAIN)$/), message: expect.stringMatching(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) ecs\.cn-north-4\.invalid$/) } },
    ];
    for (const { endpoint, cause } of cases) {
      const logs = captureLogs();
      const app = await appFor(new URL(endpoint), { logger: logs.logger, upstream: { retries: 0 } });
      try {
        const { body } = await app.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': TOKEN } });
        expect(body).toEqual({ data: { image: null }, errors: [expect.objectContaining({ message: 'ECS could not be reached.', extensions: { code: 'UPSTREAM_UNAVAILABLE' } })] });
        expect(logs.lines.filter((line) => String(line['msg']).startsWith('upstream attempt failed'))).toEqual([
          expect.objectContaining({ level: 40, imageId: DOC, outcome: 'unreachable', failure: 'unavailable', cause, msg: 'upstream attempt failed: ECS could not be reached.' }),
        ]);
        expect(logs.raw.join('\n')).not.toContain(TOKEN);
      } finally {
        await app.close();
      }
    }
  });

  it('give an unexpected error its cause and stack, which the client never sees', async () => {
    const logs = captureLogs();
    await withStack({ logger: logs.logger }, async (stack) => {
      const { body } = await stack.query(`{ image(projectId: "${P}", id: "${FAULTS.badRequest.imageId}") { id } }`);
      expect(body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(logs.lines.filter((line) => line['level'] === 50)).toEqual([
        expect.objectContaining({
          msg: 'ECS answered HTTP 400.',
          err: expect.objectContaining({ message: 'ECS answered HTTP 400.', path: ['image'], stack: expect.stringMatching(/^UpstreamError: ECS answered HTTP 400\.\n\s+at /) }),
        }),
      ]);
    });
  });

  it('replace an unusable X-Request-Id with a generated one', async () => {
    await withStack({}, async (stack) => {
      const response = await stack.app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'no spaces or <html> allowed' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('never hold a token, an Authorization header, an access key or a secret key', async () => {
    const logs = captureLogs('trace');
    const KEY = { accessKey: 'HPUALOGTESTACCESSKEY', secretKey: 'log-test-secret-key-value' };
    // Passthrough with a token, through every path that logs: success, upstream failures, masked errors.
    await withStack({ logger: logs.logger, upstream: { retries: 1, retryBaseDelayMs: 1 } }, async (stack) => {
      for (const id of [DOC, FAULTS.unauthorized.imageId, FAULTS.error.imageId, FAULTS.badRequest.imageId, FAULTS.reset.imageId]) {
        await stack.query(`{ image(projectId: "${P}", id: "${id}") { id } }`, { headers: { 'x-auth-token': TOKEN, authorization: `Bearer ${TOKEN}` } });
      }
    });
    // Service mode, signing with a key that the sandbox refuses and one it accepts.
    const auth = { mode: 'service' as const, ...KEY, securityToken: 'sts-security-token-value', allowedProjectIds: new Set([P]), callers: { kind: 'network' as const } };
    await withStack({ logger: logs.logger, callers: { auth }, sandbox: { accessKeys: [KEY] } }, async (stack) => {
      await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`);
    });
    await withStack({ logger: logs.logger, callers: { auth: { ...auth, secretKey: 'wrong-secret-key-value' } }, sandbox: { accessKeys: [KEY] } }, async (stack) => {
      await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`);
    });

    const everything = logs.raw.join('\n');
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const secret of [TOKEN, KEY.accessKey, KEY.secretKey, 'wrong-secret-key-value', 'sts-security-token-value', 'SDK-HMAC-SHA256']) {
      expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
    }
  });
});
