import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { withStack } from '../helpers/stack.js';

const P = DOCUMENTED_IMAGE.projectId;
const DOC = DOCUMENTED_IMAGE.imageId;

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

// A real OTLP/HTTP receiver on loopback: it keeps whatever the exporter posts to /v1/traces.
let receiver: Server;
let endpoint: string;
const exports: Array<{ path: string; contentType: string | undefined; body: { resourceSpans: Array<{ resource: { attributes: ExportedSpan['attributes'] }; scopeSpans: Array<{ spans: ExportedSpan[] }> }> } }> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      exports.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(body) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

const attribute = (span: ExportedSpan, key: string) => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('exports a span per operation and per upstream attempt, and sends a W3C traceparent upstream', async () => {
    exports.length = 0;
    await withStack({ telemetry: { otlpEndpoint: endpoint, serviceName: 'images-under-test' }, upstream: { retries: 1, retryBaseDelayMs: 1 } }, async (stack) => {
      // The caller is part of a trace already: the operation continues it.
      const incomingTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const incomingSpan = '00f067aa0ba902b7';
      await stack.query(`query Traced { a: image(projectId: "${P}", id: "${DOC}") { id } b: image(projectId: "${P}", id: "${FAULTS.errorOnce.imageId}") { id } }`, {
        headers: { traceparent: `00-${incomingTrace}-${incomingSpan}-01` },
      });
      await stack.services.tracing.forceFlush();

      expect(exports.map((item) => [item.path, item.contentType])).toEqual([['/v1/traces', 'application/json']]);
      const [resourceSpans] = exports[0]!.body.resourceSpans;
      expect(resourceSpans!.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'images-under-test' } });
      const spans = resourceSpans!.scopeSpans.flatMap((scope) => scope.spans);

      const operation = spans.find((span) => span.name === 'query Traced')!;
      expect(operation).toMatchObject({ traceId: incomingTrace, parentSpanId: incomingSpan, kind: 2 });
      expect(attribute(operation, 'graphql.operation.name')).toBe('Traced');
      expect(attribute(operation, 'request.id')).toMatch(/^[0-9a-f-]{36}$/);

      const attempts = spans.filter((span) => span.name === 'GET ECS image metadata');
      // DOC once; the 500-once image twice (a failed attempt, then its retry).
      expect(attempts).toHaveLength(3);
      for (const attempt of attempts) expect(attempt).toMatchObject({ traceId: incomingTrace, parentSpanId: operation.spanId, kind: 3 });
      expect(attempts.map((span) => attribute(span, 'http.response.status_code')).sort()).toEqual([200, 200, 500]);
      expect(attempts.filter((span) => span.status?.code === 2)).toHaveLength(1);

      // Each attempt's own span id went upstream in its traceparent.
      const sent = stack.sandbox.requests.map((request) => request.headers['traceparent']).sort();
      expect(sent).toEqual(attempts.map((span) => `00-${incomingTrace}-${span.spanId}-01`).sort());
    });
  });

  it('sends nothing, upstream or to a collector, when tracing is off', async () => {
    exports.length = 0;
    await withStack({}, async (stack) => {
      await stack.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
      await stack.services.tracing.forceFlush();
      expect(stack.sandbox.requests[0]?.headers['traceparent']).toBeUndefined();
    });
    expect(exports).toEqual([]);
  });
});
