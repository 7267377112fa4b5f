import { context as otelContext, defaultTextMapSetter, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export type { Context as TraceContext, Span };

/**
 * OpenTelemetry traces, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a span per GraphQL operation and per
 * upstream attempt, exported over OTLP/HTTP, with a W3C `traceparent` sent upstream. Otherwise every span
 * is a no-op and nothing is sent. Nothing is registered globally: the tracer is passed to whoever needs it.
 */
export interface Tracing {
  /** Whether spans are recorded and exported; when not, callers may skip making them at all. */
  readonly enabled: boolean;
  /** A span for a GraphQL operation, a root unless the request carried a `traceparent`. */
  startOperation(headers: Headers, name: string): Span;
  /** A client span for one upstream attempt, a child of `parent` (a {@link Context}); its context goes upstream in `headers`. */
  startUpstreamCall(parent: unknown, name: string, headers: Record<string, string>): Span;
  endUpstreamCall(span: Span, failed: boolean, message?: string): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

export function createTracing(options: { endpoint: string | undefined; serviceName: string }): Tracing {
  const provider = options.endpoint
    ? new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': options.serviceName }),
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` }))],
      })
    : undefined;
  const tracer = provider?.getTracer('ecs-image-graph') ?? trace.getTracer('ecs-image-graph-disabled');

  return {
    enabled: provider !== undefined,
    startOperation(headers, name) {
      // Off means off: no trace context is read from callers or passed on to the upstream.
      if (!provider) return tracer.startSpan(name);
      const incoming = propagator.extract(otelContext.active(), headers, {
        get: (carrier, key) => carrier.get(key) ?? undefined,
        keys: (carrier) => [...carrier.keys()],
      });
      return tracer.startSpan(name, { kind: SpanKind.SERVER }, incoming);
    },
    startUpstreamCall(parent, name, headers) {
      const context = parent as Context | undefined;
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT }, context);
      if (provider) propagator.inject(trace.setSpan(context ?? otelContext.active(), span), headers, defaultTextMapSetter);
      return span;
    },
    endUpstreamCall: endSpan,
    forceFlush: async () => provider?.forceFlush(),
    shutdown: async () => provider?.shutdown(),
  };
}

/** Ends `span`, marked as an error when `failed`. */
export function endSpan(span: Span, failed: boolean, message?: string): void {
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, ...(message !== undefined && { message }) });
  span.end();
}

export const contextWithSpan = (span: Span): Context => trace.setSpan(otelContext.active(), span);
