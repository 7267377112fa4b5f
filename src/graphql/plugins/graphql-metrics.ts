import { getOperationAST, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';
import { deprecatedFieldsInDocument } from '../deprecated-fields.js';
import { codeOf } from '../errors.js';
import { BoundedLabel } from '../../observability/bounded-label.js';

/** The client name a request announces, in either header GraphQL clients use. */
export function clientNameOf(request: Request | undefined): string | null {
  return request?.headers.get('graphql-client-name') ?? request?.headers.get('apollographql-client-name') ?? null;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the HTTP duration of a request is labelled with, once its operation is known. */
interface RequestLabels {
  readonly started: number;
  operationName: string;
  operationType: string;
}

/**
 * GraphQL-level metrics on `registry`, served at /metrics: requests to `graphqlEndpoint`, operations by name with their duration, errors by
 * `extensions.code`, and the number the migration's owners watch, `graphql_envelop_deprecated_field`: every
 * use of a deprecated field, by field and by client name. Names come from clients, so every such label is
 * bounded (see BoundedLabel); no label holds a URL.
 *
 * The metric names and labels are those of @graphql-yoga/plugin-prometheus, which this replaces: it walked
 * every document with a TypeInfo on every request to find the deprecated fields, and built label objects in
 * every phase, at about a third of the service's time per operation. Here the deprecated fields of a document
 * are found once (Yoga parses a document once and reuses it; see deprecated-fields.ts, whose walk the
 * deprecation headers share), and each phase does only its own counting.
 */
export function useGraphQLMetrics(registry: Registry, graphqlEndpoint: string): Plugin {
  const operationNames = new BoundedLabel(500);
  const clientNames = new BoundedLabel(200);
  const operations = new Counter({
    name: 'graphql_envelop_request',
    help: 'GraphQL operations executed, by name and type.',
    labelNames: ['operationName', 'operationType'],
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'graphql_envelop_request_duration',
    help: 'Duration of GraphQL operations (execution, upstream calls included), in seconds, by name and type.',
    labelNames: ['operationName', 'operationType'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'graphql_yoga_http_duration',
    help: 'Duration of HTTP requests to /graphql, in seconds, by operation and HTTP status.',
    labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_envelop_error_result',
    help: 'Errors in GraphQL results, by operation, phase and extensions.code.',
    labelNames: ['operationName', 'operationType', 'phase', 'code'],
    registers: [registry],
  });
  const deprecatedUses = new Counter({
    name: 'graphql_envelop_deprecated_field',
    help: 'Uses of deprecated fields in operations, by field and by client (graphql-client-name or apollographql-client-name).',
    labelNames: ['operationName', 'typeName', 'fieldName', 'clientName'],
    registers: [registry],
  });

  const requests = new WeakMap<Request, RequestLabels>();
  const countErrors = (labels: RequestLabels | undefined, phase: string, list: ReadonlyArray<Error | GraphQLError>) => {
    for (const error of list) {
      errors.inc({ operationName: labels?.operationName ?? 'Anonymous', operationType: labels?.operationType ?? 'unknown', phase, code: codeOf(error as GraphQLError) });
    }
  };

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === '/metrics') {
        return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })));
      }
      if (url.pathname === graphqlEndpoint) requests.set(request, { started: performance.now(), operationName: 'Anonymous', operationType: 'unknown' });
      return undefined;
    },
    onParams({ request, params }) {
      const labels = requests.get(request);
      // Not checked yet: a malformed request may send any JSON here (useRequestErrorStatus refuses it).
      if (labels && typeof params.operationName === 'string') labels.operationName = operationNames.value(params.operationName, 'Anonymous');
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) countErrors(requests.get((context as { request: Request }).request), 'parse', [result]);
      };
    },
    onValidate({ context }) {
      return ({ valid, result }) => {
        if (!valid) countErrors(requests.get((context as { request: Request }).request), 'validate', result);
      };
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request: Request }).request;
      const operation = getOperationAST(args.document, args.operationName);
      const labels = requests.get(request) ?? { started: performance.now(), operationName: 'Anonymous', operationType: 'unknown' };
      labels.operationName = operationNames.value(operation?.name?.value ?? args.operationName, 'Anonymous');
      labels.operationType = operation?.operation ?? 'unknown';
      const { operationName, operationType } = labels;
      const fields = deprecatedFieldsInDocument(args.schema, args.document);
      if (fields.length > 0) {
        const clientName = clientNames.value(clientNameOf(request), 'unknown');
        for (const { typeName, fieldName } of fields) deprecatedUses.inc({ operationName, typeName, fieldName, clientName });
      }
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          operations.inc({ operationName, operationType });
          operationDuration.observe({ operationName, operationType }, (performance.now() - started) / 1000);
          if (result.errors) countErrors(labels, 'execute', result.errors);
        },
      };
    },
    onResponse({ request, response }) {
      const labels = requests.get(request);
      if (!labels) return;
      requests.delete(request);
      httpDuration.observe(
        { operationName: labels.operationName, operationType: labels.operationType, method: request.method, statusCode: response.status },
        (performance.now() - labels.started) / 1000,
      );
    },
  };
}
