import { str } from 'envalid';
import type { Rule, Values } from './section.js';
import type { SERVER_SETTINGS } from './server.js';
import { optionalPort, urlSetting } from './validators.js';

/** What the service tells operators: metrics, logs and traces. */
export const TELEMETRY_SETTINGS = {
  METRICS_PORT: optionalPort()({
    default: '',
    desc: 'Serve `/metrics` on this port of `HOST` instead of the GraphQL port, so that it can be reached by Prometheus only (a Kubernetes NetworkPolicy, a firewall) while the GraphQL port is public; `/metrics` is then 404 on the GraphQL port. Unset: `/metrics` is on the GraphQL port.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlSetting(['http:', 'https:'], 'http://otel-collector:4318')({
    default: '',
    desc: 'OTLP/HTTP endpoint (the collector\'s base URL) for OpenTelemetry traces: a span per operation and per upstream attempt, with a W3C `traceparent` sent upstream. Unset: no tracing.',
  }),
  OTEL_SERVICE_NAME: str({ default: 'ecs-image-graph', desc: 'The `service.name` of exported traces.' }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'Least severe log level written (pino levels).',
  }),
};

export const TELEMETRY_RULES: Array<Rule<typeof TELEMETRY_SETTINGS & Pick<typeof SERVER_SETTINGS, 'PORT'>>> = [
  ({ METRICS_PORT: metrics, PORT: graphql }) =>
    metrics && graphql !== undefined && Number(metrics) === graphql && graphql !== 0 ? { variable: 'METRICS_PORT', message: 'must differ from PORT (unset it to serve /metrics on the GraphQL port)' } : undefined,
];

export function readTelemetry(env: Values<typeof TELEMETRY_SETTINGS>) {
  return {
    /** Where /metrics is served on its own; undefined: on the GraphQL port. */
    metricsPort: env.METRICS_PORT === '' ? undefined : Number(env.METRICS_PORT),
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    serviceName: env.OTEL_SERVICE_NAME,
    logLevel: env.LOG_LEVEL,
  };
}

export type TelemetryConfig = ReturnType<typeof readTelemetry>;
