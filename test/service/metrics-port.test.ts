import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startService } from '../../src/server/start.js';
import { parseExposition } from '../helpers/metrics.js';

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port, and only there: the GraphQL port answers 404 for it', async () => {
    const service = await startService(loadConfig({ PORT: '0', METRICS_PORT: '0' }), pino({ level: 'silent' }));
    try {
      expect(service.metricsUrl?.pathname).toBe('/metrics');
      expect(service.metricsUrl?.port).not.toBe(service.url.port);
      await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      const metrics = await fetch(service.metricsUrl!);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(await metrics.text());
      expect(samples.find((sample) => sample.name === 'graphql_envelop_request')?.value).toBe(1);
      expect((await fetch(new URL('/metrics', service.url))).status).toBe(404);
      const elsewhere = await fetch(new URL('/graphql', service.metricsUrl));
      expect([elsewhere.status, await elsewhere.text()]).toEqual([404, 'Not found: only GET /metrics is served on this port.\n']);
    } finally {
      await service.stop();
    }
  });

  it('is refused when it is PORT', () => {
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow('METRICS_PORT: must differ from PORT (unset it to serve /metrics on the GraphQL port)');
    expect(() => loadConfig({ METRICS_PORT: 'nine' })).toThrow('METRICS_PORT: must be a port from 0 to 65535, or empty for none, got "nine"');
  });
});
