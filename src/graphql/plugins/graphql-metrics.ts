import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Context } from '../context.js';
import { deprecatedFieldsInDocument } from '../deprecated-fields.js';
import { codeOf } from '../errors.js';
import type { OperationRecord, OperationRecords } from '../operation-record.js';
import { MetricNames, SeriesBudget } from './metric-names.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Distinct (operation, client) name pairs ever counted under their own names; later ones count as `other`. */
export const MAX_NAME_PAIRS = 100;

/**
 * GraphQL-level metrics on `registry`, served at /metrics: requests to `graphqlEndpoint`, operations by name with
 * their duration and how they ran (compiled or interpreted), errors by `extensions.code`, and the number the
 * migration's owners watch, `graphql_envelop_deprecated_field`: every use of a deprecated field, by field and by
 * client name. Names come from clients: they are admitted only from identified callers, as pairs, up to a bound,
 * and each metric keeps a bounded number of series (metric-names.ts), so no caller can grow /metrics; no label
 * holds a URL.
 *
 * The metric names and labels are those of @graphql-yoga/plugin-prometheus, which this replaces: it walked
 * every document with a TypeInfo on every request to find the deprecated fields, and built label objects in
 * every phase, at about a third of the service's time per operation. Here the deprecated fields of a document
 * are found once (Yoga parses a document once and reuses it; see deprecated-fields.ts), and every fact of the
 * request (its name, client, start, the operation that runs) is read from its record (operation-record.ts).
 */
export function useGraphQLMetrics(
  registry: Registry,
  options: { graphqlEndpoint: string; records: Pick<OperationRecords, 'of'>; /** Answer GET /metrics here (not when METRICS_PORT serves it). */ serveMetrics: boolean },
): Plugin<Context> {
  const { graphqlEndpoint, records } = options;
  const names = new MetricNames(MAX_NAME_PAIRS);
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
  const executions = new Counter({
    name: 'graphql_execution_total',
    help: 'GraphQL operations executed, by engine: compiled (graphql-jit, an operation run often enough) or interpreted (graphql-js).',
    labelNames: ['engine'],
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
  const inFlight = new Gauge({
    name: 'ecs_image_graph_graphql_requests_in_flight',
    help: 'Requests to /graphql being answered at this moment (upstream calls included). For an I/O-bound service, a better autoscaling signal than CPU.',
    registers: [registry],
  });
  /** The requests counted in flight: each leaves once, with its response. */
  const answering = new WeakSet<Request>();
  for (const engine of ['compiled', 'interpreted']) executions.inc({ engine }, 0);
  // Series each metric may have at most (a histogram's series are each 14 lines): enough for every pair of
  // names admitted to be counted everywhere in a normal deployment, and a bound on what /metrics holds.
  const budgets = {
    operations: new SeriesBudget<{ operationName: string; operationType: string }>(500, ['operationName']),
    operationDuration: new SeriesBudget<{ operationName: string; operationType: string }>(50, ['operationName']),
    httpDuration: new SeriesBudget<{ operationName: string; operationType: string; method: string; statusCode: number }>(50, ['operationName']),
    errors: new SeriesBudget<{ operationName: string; operationType: string; phase: string; code: string }>(500, ['operationName']),
    deprecatedUses: new SeriesBudget<{ operationName: string; typeName: string; fieldName: string; clientName: string }>(2000, ['operationName', 'clientName']),
  };

  const labelsOf = (record: OperationRecord) => ({ operationName: names.of(record).operationName, operationType: record.operation?.operation ?? 'unknown' });
  const countErrors = (record: OperationRecord, phase: string, list: ReadonlyArray<Error | GraphQLError>) => {
    for (const error of list) errors.inc(budgets.errors.labels({ ...labelsOf(record), phase, code: codeOf(error as GraphQLError) }));
  };

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === graphqlEndpoint) {
        answering.add(request);
        inFlight.inc();
      }
      if (!options.serveMetrics || url.pathname !== '/metrics') return undefined;
      return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })));
    },
    // A request refused while parsing or validating (GraphQL Armor's limits included) is counted once its errors
    // have the codes its client sees (Yoga and useRequestErrorStatus give them after these hooks), under the last
    // phase it entered; errors of execution are counted when it is done.
    onParse({ context }) {
      records.of(context.request).phase = 'parse';
    },
    onValidate({ context }) {
      records.of(context.request).phase = 'validate';
    },
    onResultProcess({ request, result }) {
      const record = records.of(request);
      if (record.phase !== 'parse' && record.phase !== 'validate') return;
      for (const single of Array.isArray(result) ? result : [result]) if (!(Symbol.asyncIterator in single)) countErrors(record, record.phase, single.errors ?? []);
    },
    onExecute({ args }) {
      const { operation: record } = args.contextValue;
      record.phase = 'execute';
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          // Counted once the operation ran: by then a caller that asked for an image is known (identified).
          const labels = labelsOf(record);
          operations.inc(budgets.operations.labels(labels));
          operationDuration.observe(budgets.operationDuration.labels(labels), (performance.now() - started) / 1000);
          // Unset when the operation never ran (refused by the budget, or its variables did not coerce).
          if (record.engine) executions.inc({ engine: record.engine });
          if (result.errors) countErrors(record, 'execute', result.errors);
          const fields = deprecatedFieldsInDocument(args.schema, args.document);
          if (fields.length === 0) return;
          const { operationName, clientName } = names.of(record);
          for (const { typeName, fieldName } of fields) deprecatedUses.inc(budgets.deprecatedUses.labels({ operationName, typeName, fieldName, clientName }));
        },
      };
    },
    onResponse({ request, response }) {
      if (answering.delete(request)) inFlight.dec();
      const record = records.of(request);
      if (record.path !== graphqlEndpoint) return;
      httpDuration.observe(budgets.httpDuration.labels({ ...labelsOf(record), method: request.method, statusCode: response.status }), (performance.now() - record.startedAt) / 1000);
    },
  };
}
