import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setMaxListeners } from 'node:events';
import { getOperationAST, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationScope } from '../images/backend.js';
import { OperationLedger } from '../images/operation-ledger.js';
import type { Logger } from '../observability/logger.js';
import { contextWithSpan, endSpan, type Span, type TraceContext, type Tracing } from '../observability/tracing.js';
import type { Context } from './context.js';
import { codeOf } from './errors.js';
import type { FeaturesOff } from '../config/bench-switches.js';

/**
 * Everything about one HTTP request and its GraphQL operation that more than one part of the service needs,
 * worked out once, when it becomes known, and kept in one place: the context's `operation` for resolvers and
 * execution hooks, {@link OperationRecords.of} for the hooks that only see the request. Nothing recomputes it.
 */
export interface OperationRecord extends OperationScope {
  /** From the caller's X-Request-Id when it is sane, else generated; sent back, sent upstream, logged. */
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** The path it asked for (/graphql, /healthz, ...). */
  readonly path: string;
  /** The address of the client's end of the connection (a gateway's, behind one); undefined when not served over a socket. */
  readonly clientAddress: string | undefined;
  /** The client the request says it is (`graphql-client-name` or `apollographql-client-name`), at most {@link MAX_NAME_LENGTH} characters. */
  readonly clientName: string | undefined;
  /** What the operation read and spent: upstream calls, freshness, stale images, response bytes. */
  readonly ledger: OperationLedger;
  /**
   * Whether the request's caller is known: a verified JWT (service mode with JWT callers), a token the upstream
   * accepted (passthrough: an image read with it, or from its cache), or a deployment that needs none. False until
   * the operation asks for an image (only then is a JWT checked).
   */
  identified: boolean;
  /** The request turned out to be a GraphQL request (not health, metrics or GraphiQL). */
  isGraphQL: boolean;
  /** The operation's name, as sent, then as the document gives it; at most {@link MAX_NAME_LENGTH} characters. */
  operationName: string | undefined;
  /** The operation that runs, once execution starts. */
  operation: OperationDefinitionNode | undefined;
  /** The last GraphQL phase the request entered: a request refused before it ran stopped in parse or validate. */
  phase: 'parse' | 'validate' | 'execute' | undefined;
  /** How it ran: compiled (graphql-jit) or interpreted (graphql-js); unset when it never ran. */
  engine: 'compiled' | 'interpreted' | undefined;
  /** The `Cache-Control` its response may carry, once it ran; unset: `no-store`. */
  cacheControl: string | undefined;
  /** Whether the operation that ran selects a deprecated field (its response says so in its headers). */
  selectsDeprecated: boolean;
  /** The `extensions.code` of every error in its response. */
  readonly errorCodes: string[];
  span: Span | undefined;
  traceContext: TraceContext | undefined;
}

/**
 * Names that come from callers (operation and client names) are cut to this many characters wherever they
 * surface: log lines, metric labels, span attributes. A 90 KB operation name must not make a 90 KB log line.
 */
export const MAX_NAME_LENGTH = 100;

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface OperationRecords {
  /** The record of a request; made on first use for a request that did not pass through the plugin. */
  of(request: Request): OperationRecord;
  /**
   * Opens a record per request (its id and deadline), fills it in as the request becomes an operation, and ends
   * it with the response: the deadline's timer cleared (a timer left running would hold the request in memory
   * until it fired), the span ended, and one log line per GraphQL request (name, client, status, duration,
   * error codes). First among the plugins, so that every other one finds the record filled in.
   */
  readonly plugin: Plugin<Context>;
}

export function createOperationRecords(options: {
  deadlineMs: number;
  maxResponseBytes: number;
  tracing: Pick<Tracing, 'enabled' | 'startOperation'>;
  logger: Logger;
  /** For the benchmark's ablation only (config/bench-switches.ts): `operation-log` and `tracing` leave out their hooks. */
  off?: FeaturesOff;
}): OperationRecords {
  const logs = !options.off?.has('operation-log');
  const traces = !options.off?.has('tracing');
  const records = new WeakMap<Request, OperationRecord>();
  const timers = new WeakMap<OperationRecord, () => void>();
  // The line per operation holds only what this file puts in it, none of it a credential: it skips the
  // redaction that every other line goes through (which costs more than writing the line).
  const operationLog = options.logger.child({}, { redact: [] });

  function open(request: Request, path = new URL(request.url).pathname, clientAddress?: string): OperationRecord {
    // One signal per request, for its deadline and for the client going away: every upstream call listens to it.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('The operation deadline passed.', 'TimeoutError')), options.deadlineMs);
    const clientLeft = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) clientLeft();
    else request.signal.addEventListener('abort', clientLeft, { once: true });
    // An operation of a hundred images has a hundred listeners, and Node's leak warning (at 10) would be a false alarm.
    setMaxListeners(0, controller.signal);
    const offered = request.headers.get('x-request-id');
    const record: OperationRecord = {
      requestId: offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID(),
      signal: controller.signal,
      deadlineAt: Date.now() + options.deadlineMs,
      startedAt: performance.now(),
      path,
      clientAddress,
      clientName: bounded(request.headers.get('graphql-client-name') ?? request.headers.get('apollographql-client-name')),
      ledger: new OperationLedger(options.maxResponseBytes),
      identified: false,
      isGraphQL: false,
      operationName: undefined,
      operation: undefined,
      phase: undefined,
      engine: undefined,
      cacheControl: undefined,
      selectsDeprecated: false,
      errorCodes: [],
      span: undefined,
      traceContext: undefined,
    };
    records.set(request, record);
    timers.set(record, () => {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', clientLeft);
    });
    return record;
  }

  const plugin: Plugin<Context> = {
    onRequest({ request, url, serverContext }) {
      // Served by node:http, the server context holds the incoming message, and its socket the peer's address.
      const socket = (serverContext as { req?: IncomingMessage }).req?.socket;
      open(request, url.pathname, socket?.remoteAddress?.replace(/^::ffff:/, ''));
    },
    onParams({ request, params }) {
      const record = records.get(request);
      if (!record) return;
      record.isGraphQL = true;
      // Not checked yet: a malformed request may send any JSON here (useRequestErrorStatus refuses it).
      if (typeof params.operationName === 'string') record.operationName = bounded(params.operationName);
      if (!traces || !options.tracing.enabled) return;
      record.span = options.tracing.startOperation(request.headers, 'graphql operation');
      record.span.setAttribute('request.id', record.requestId);
      record.traceContext = contextWithSpan(record.span);
    },
    onExecute({ args }) {
      const { operation: record } = args.contextValue;
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      record.operation = operation;
      record.operationName = bounded(operation.name?.value) ?? record.operationName;
      if (!traces || !record.span) return;
      record.span.updateName(`${operation.operation} ${record.operationName ?? 'Anonymous'}`);
      record.span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': record.operationName ?? '' });
    },
    onResultProcess({ request, result }) {
      const record = records.get(request);
      if (!record) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) record.errorCodes.push(codeOf(error));
      }
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      timers.get(record)?.();
      response.headers.set('x-request-id', record.requestId);
      if (!record.isGraphQL) return;
      if (traces && record.span) {
        record.span.setAttribute('http.response.status_code', response.status);
        endSpan(record.span, record.errorCodes.length > 0, record.errorCodes.join(', ') || undefined);
      }
      if (!logs) return;
      const line = {
        requestId: record.requestId,
        operationName: record.operationName ?? 'Anonymous',
        operationType: record.operation?.operation,
        clientName: record.clientName,
        status: response.status,
        durationMs: Math.round((performance.now() - record.startedAt) * 10) / 10,
        errorCodes: [...new Set(record.errorCodes)],
        errors: record.errorCodes.length,
      };
      if (record.errorCodes.length > 0) operationLog.warn(line, 'graphql operation');
      else operationLog.info(line, 'graphql operation');
    },
  };

  return { of: (request) => records.get(request) ?? open(request), plugin };
}

/** A caller's name, trimmed and cut to {@link MAX_NAME_LENGTH}; undefined when there is none. */
function bounded(name: string | null | undefined): string | undefined {
  return name?.trim().slice(0, MAX_NAME_LENGTH) || undefined;
}
