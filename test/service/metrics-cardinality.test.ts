import { randomBytes } from 'node:crypto';
import { isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/config/index.js';
import { MAX_NAME_PAIRS } from '../../src/graphql/plugins/graphql-metrics.js';
import { createSchema } from '../../src/graphql/schema/index.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { parseExposition } from '../helpers/metrics.js';
import { startJwks } from '../helpers/jwks.js';
import { withStack, type Stack } from '../helpers/stack.js';

// An attacker sends random operation and client names, selecting every deprecated field: each name would be a new
// series of every labelled metric, and their product a new series of graphql_envelop_deprecated_field. /metrics
// must stay small (its render time and memory follow its size: `npm run abuse` measures both under a flood).

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;
/** Three times the name pairs admitted: enough to fill every budget. */
const FLOOD = 3 * MAX_NAME_PAIRS;
/** The series budgets of graphql-metrics.ts, by metric (a histogram's series counted by its _count line). */
const BUDGETS = { graphql_envelop_request: 500, graphql_envelop_request_duration_count: 50, graphql_yoga_http_duration_count: 50, graphql_envelop_deprecated_field: 2000 };

const image = createSchema().getType('Image');
const DEPRECATED = isObjectType(image) ? Object.values(image.getFields()).filter((field) => field.deprecationReason) : [];
const randomName = () => `N${randomBytes(50).toString('hex').slice(0, 99)}`;

async function flood(stack: Stack, headers: Record<string, string>) {
  for (let n = 0; n < FLOOD; n += 1) {
    const name = randomName();
    await stack.query(`query ${name} { image(projectId: "${P}", id: "${DOC}") { ${DEPRECATED.map((field) => field.name).join(' ')} } }`, { headers: { ...headers, 'graphql-client-name': randomName() } });
  }
  const response = await stack.app.fetch('http://localhost/metrics');
  const text = await response.text();
  const samples = parseExposition(text);
  const seriesOf = (name: string) => samples.filter((sample) => sample.name === name);
  const valuesOf = (name: string, label: string) => new Set(samples.filter((sample) => sample.name === name).map((sample) => sample.labels[label]));
  return { bytes: Buffer.byteLength(text), seriesOf, valuesOf };
}

describe('/metrics under a flood of random operation and client names', () => {
  it('passthrough: admits the first name pairs, counts the rest as other, and keeps every metric within its series budget', async () => {
    expect(DEPRECATED).toHaveLength(41);
    await withStack({ cache: { ttlMs: 60_000 } }, async (stack) => {
      const metrics = await flood(stack, { 'x-auth-token': 'one-caller' });
      for (const [name, budget] of Object.entries(BUDGETS)) {
        const series = metrics.seriesOf(name);
        // The budget, and the `other` series past it: one per deprecated field for graphql_envelop_deprecated_field,
        // one for each of the others.
        expect(series.length, name).toBeLessThanOrEqual(budget + (name === 'graphql_envelop_deprecated_field' ? DEPRECATED.length : 1));
      }
      expect(metrics.valuesOf('graphql_envelop_request', 'operationName').size).toBe(MAX_NAME_PAIRS + 1); // and `other`
      expect(metrics.seriesOf('graphql_envelop_request_duration_count')).toHaveLength(50 + 1);
      expect(metrics.seriesOf('graphql_envelop_deprecated_field')).toHaveLength(2000 + DEPRECATED.length);
      expect(metrics.seriesOf('graphql_envelop_request').find((sample) => sample.labels['operationName'] === 'other')?.value).toBe(FLOOD - MAX_NAME_PAIRS);
      expect(metrics.bytes).toBeLessThan(1024 * 1024);
    });
  }, 60_000);

  it('passthrough: a token the upstream refuses never names a series; one it accepts does', async () => {
    const revoked = new Set(Array.from({ length: 20 }, (_, n) => `junk-${n}`));
    await withStack({ tokenRequired: true, sandbox: { revokedTokens: revoked } }, async (stack) => {
      for (const token of revoked) await stack.query(`query ${randomName()} { image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': token, 'graphql-client-name': randomName() } });
      await stack.query(`query Real { image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': 'valid', 'graphql-client-name': 'web' } });
      const samples = parseExposition(await (await stack.app.fetch('http://localhost/metrics')).text());
      const requests = samples.filter((sample) => sample.name === 'graphql_envelop_request').map(({ labels, value }) => [labels['operationName'], value]);
      expect(requests).toEqual([
        ['other', revoked.size],
        ['Real', 1],
      ]);
    });
  });

  it('service mode with JWT callers: a request without a valid JWT never names a series', async () => {
    const jwks = await startJwks();
    const auth: AuthConfig = {
      mode: 'service',
      accessKey: 'HPUAEXAMPLEAK000001',
      secretKey: 'secret',
      securityToken: undefined,
      allowedProjectIds: new Set([P]),
      callers: { kind: 'jwt', jwksUrl: jwks.url, issuer: 'https://auth.example.test/', audience: 'ecs-image-graph', jwksRefreshMs: 600_000, maxTokenAgeSeconds: 3600 },
    };
    try {
      await withStack({ callers: { auth } }, async (stack) => {
        const metrics = await flood(stack, {});
        expect(metrics.valuesOf('graphql_envelop_request', 'operationName')).toEqual(new Set(['other']));
        expect(metrics.valuesOf('graphql_envelop_deprecated_field', 'clientName')).toEqual(new Set(['other']));
        expect(metrics.seriesOf('graphql_envelop_deprecated_field')).toHaveLength(DEPRECATED.length);
        expect(metrics.bytes).toBeLessThan(64 * 1024);
      });
    } finally {
      await jwks.close();
    }
  }, 60_000);
});
