import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { codeOf } from '../errors.js';
import { BoundedLabel } from './bounded-label.js';

/** The client name a request announces, in either header GraphQL clients use. */
export function clientNameOf(request: Request | undefined): string | null {
  return request?.headers.get('graphql-client-name') ?? request?.headers.get('apollographql-client-name') ?? null;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * GraphQL-level metrics on `registry`, served at /metrics: operations by name with their duration, errors by
 * `extensions.code`, and the number the migration's owners watch, `graphql_envelop_deprecated_field`: every
 * use of a deprecated field, by field and by client name. Names come from clients, so every such label is
 * bounded (see BoundedLabel); no label holds a URL.
 */
export function useGraphQLMetrics(registry: Registry): Plugin {
  const operationNames = new BoundedLabel(500);
  const clientNames = new BoundedLabel(200);
  const operation = (params: { operationName?: string | undefined; operationType?: string | undefined }) => ({
    operationName: operationNames.value(params.operationName, 'Anonymous'),
    operationType: params.operationType ?? 'unknown',
  });

  return usePrometheus({
    registry,
    endpoint: '/metrics',
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: 'graphql_envelop_request', help: 'GraphQL operations executed, by name and type.', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: operation,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Duration of GraphQL operations (execution, upstream calls included), in seconds, by name and type.',
          labelNames: ['operationName', 'operationType'],
          buckets: DURATION_BUCKETS,
        },
        fillLabelsFn: operation,
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Duration of HTTP requests to /graphql, in seconds, by operation and HTTP status.',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
          buckets: DURATION_BUCKETS,
        },
        fillLabelsFn: (params, { request, response }: { request: Request; response: Response }) => ({
          ...operation(params),
          method: request.method,
          statusCode: response.status,
        }),
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in GraphQL results, by operation, phase and extensions.code.',
          labelNames: ['operationName', 'operationType', 'phase', 'code'],
        },
        fillLabelsFn: (params) => ({ ...operation(params), phase: params.errorPhase ?? 'unknown', code: codeOf(params.error as Parameters<typeof codeOf>[0]) }),
      }),
      graphql_envelop_deprecated_field: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_deprecated_field',
          help: 'Uses of deprecated fields in operations, by field and by client (graphql-client-name or apollographql-client-name).',
          labelNames: ['operationName', 'typeName', 'fieldName', 'clientName'],
        },
        fillLabelsFn: (params, context: { request?: Request }) => ({
          operationName: operation(params).operationName,
          typeName: params.deprecationInfo.typeName,
          fieldName: params.deprecationInfo.fieldName,
          clientName: clientNames.value(clientNameOf(context.request), 'unknown'),
        }),
      }),
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_schema_change: false,
    },
  });
}
