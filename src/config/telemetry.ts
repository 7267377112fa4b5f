import { str } from 'envalid';
import type { Values } from './section.js';
import { urlSetting } from './validators.js';

/** What the service tells operators: logs and traces (metrics need no setting). */
export const TELEMETRY_SETTINGS = {
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

export function readTelemetry(env: Values<typeof TELEMETRY_SETTINGS>) {
  return { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined, serviceName: env.OTEL_SERVICE_NAME, logLevel: env.LOG_LEVEL };
}

export type TelemetryConfig = ReturnType<typeof readTelemetry>;
