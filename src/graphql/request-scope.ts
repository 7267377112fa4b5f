import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { codeOf } from './errors.js';
import type { Logger } from '../observability/logger.js';
import { clientNameOf } from './plugins/graphql-metrics.js';
import { contextWithSpan, endSpan, type Span, type TraceContext, type Tracing } from '../observability/tracing.js';

/** One HTTP request's identity and budget, shared by everything that works for it. */
export interface RequestScope {
  /** From the caller's X-Request-Id when it is sane, else generated; sent back, sent upstream, logged. */
  readonly requestId: string;
  /** Aborts at the operation's deadline (reason: a `TimeoutError` DOMException) or when the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms of the deadline. */
  readonly deadlineAt: number;
  /** The operation's trace span, once the request turned out to be a GraphQL operation. */
  readonly traceContext: TraceContext | undefined;
}

interface ScopeState extends RequestScope {
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
  /** Stops listening to the request's own signal. */
  readonly detach: () => void;
  /** The request turned out to be a GraphQL operation (not health, metrics or GraphiQL). */
  isOperation?: boolean;
  span: Span | undefined;
  traceContext: TraceContext | undefined;
  operationName: string | undefined;
  operationType: string | undefined;
  errorCodes: string[];
}

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The life of a request, from arrival to response: its id, its deadline (cleared as soon as the response
 * is sent: a timer left running would hold the request in memory until it fired), its trace span, and the
 * one log line per GraphQL operation (name, client, status, duration, error codes).
 */
export function createRequestScopes(options: { deadlineMs: number; tracing: Pick<Tracing, 'enabled' | 'startOperation'>; logger: Logger }) {
  const scopes = new WeakMap<Request, ScopeState>();
  // The line per operation holds only what this file puts in it, none of it a credential: it skips the
  // redaction that every other line goes through (which costs more than writing the line).
  const operationLog = options.logger.child({}, { redact: [] });

  function open(request: Request): ScopeState {
    // One signal per request, for its deadline and for the client going away: every upstream call listens to it.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('The operation deadline passed.', 'TimeoutError')), options.deadlineMs);
    const clientLeft = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) clientLeft();
    else request.signal.addEventListener('abort', clientLeft, { once: true });
    // An operation of a hundred images has a hundred listeners, and Node's leak warning (at 10) would be a false alarm.
    setMaxListeners(0, controller.signal);
    const offered = request.headers.get('x-request-id');
    const scope: ScopeState = {
      requestId: offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID(),
      signal: controller.signal,
      deadlineAt: Date.now() + options.deadlineMs,
      startedAt: performance.now(),
      timer,
      detach: () => request.signal.removeEventListener('abort', clientLeft),
      span: undefined,
      traceContext: undefined,
      operationName: undefined,
      operationType: undefined,
      errorCodes: [],
    };
    scopes.set(request, scope);
    return scope;
  }

  const plugin: Plugin = {
    onRequest({ request }) {
      open(request);
    },
    onParams({ request, params }) {
      const scope = scopes.get(request);
      if (!scope) return;
      scope.operationName = params.operationName ?? undefined;
      scope.isOperation = true;
      if (!options.tracing.enabled) return;
      scope.span = options.tracing.startOperation(request.headers, 'graphql operation');
      scope.span.setAttribute('request.id', scope.requestId);
      scope.traceContext = contextWithSpan(scope.span);
    },
    onExecute({ args }) {
      const scope = scopes.get((args.contextValue as { request: Request }).request);
      const operation = getOperationAST(args.document, args.operationName);
      if (!scope || !operation) return;
      scope.operationName = operation.name?.value ?? scope.operationName;
      scope.operationType = operation.operation;
      if (!scope.span) return;
      scope.span.updateName(`${operation.operation} ${scope.operationName ?? 'Anonymous'}`);
      scope.span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': scope.operationName ?? '' });
    },
    onResultProcess({ request, result }) {
      const scope = scopes.get(request);
      if (!scope) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) scope.errorCodes.push(codeOf(error));
      }
    },
    onResponse({ request, response }) {
      const scope = scopes.get(request);
      if (!scope) return;
      scopes.delete(request);
      clearTimeout(scope.timer);
      scope.detach();
      response.headers.set('x-request-id', scope.requestId);
      if (!scope.isOperation) return; // not a GraphQL operation: health, metrics, GraphiQL
      if (scope.span) {
        scope.span.setAttribute('http.response.status_code', response.status);
        endSpan(scope.span, scope.errorCodes.length > 0, scope.errorCodes.join(', ') || undefined);
      }
      const line = {
        requestId: scope.requestId,
        operationName: scope.operationName ?? 'Anonymous',
        operationType: scope.operationType,
        clientName: clientNameOf(request) ?? undefined,
        status: response.status,
        durationMs: Math.round((performance.now() - scope.startedAt) * 10) / 10,
        errorCodes: [...new Set(scope.errorCodes)],
        errors: scope.errorCodes.length,
      };
      if (scope.errorCodes.length > 0) operationLog.warn(line, 'graphql operation');
      else operationLog.info(line, 'graphql operation');
    },
  };

  return {
    /** The scope of a request; made on first use for a request that did not pass through the plugin. */
    scopeFor: (request: Request): RequestScope => scopes.get(request) ?? open(request),
    plugin,
  };
}
