import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH } from '../../src/graphql/operation-record.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { captureLogs } from '../helpers/logs.js';
import { scrape } from '../helpers/metrics.js';
import { withStack } from '../helpers/stack.js';

describe('operation and client names, which callers choose', () => {
  it('are cut to MAX_NAME_LENGTH wherever they surface: a 90 KB operation name and a 15 KB client name make a short log line and short labels', async () => {
    const logs = captureLogs();
    const operationName = `Q${'x'.repeat(90_000)}`;
    const clientName = 'c'.repeat(15_000);
    await withStack({ logger: logs.logger, server: { maxBodyBytes: 200_000 } }, async (stack) => {
      const { body } = await stack.query(`query ${operationName} { image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") { osType } }`, {
        headers: { 'graphql-client-name': clientName },
      });
      expect(body).toEqual({ data: { image: { osType: 'LINUX' } } });
      const line = await logs.waitFor((entry) => entry['msg'] === 'graphql operation');
      expect(line).toMatchObject({ operationName: operationName.slice(0, MAX_NAME_LENGTH), clientName: clientName.slice(0, MAX_NAME_LENGTH) });
      expect(logs.raw.find((raw) => raw.includes('"graphql operation"'))!.length).toBeLessThan(1000);
      const metrics = await scrape(stack.app);
      expect(metrics.labelSets('graphql_envelop_deprecated_field')).toEqual([
        { operationName: operationName.slice(0, MAX_NAME_LENGTH), typeName: 'Image', fieldName: 'osType', clientName: clientName.slice(0, MAX_NAME_LENGTH) },
      ]);
    });
  });
});
