import { bool, host, str } from 'envalid';
import type { LIMIT_SETTINGS } from './limits.js';
import type { Rule, Values } from './section.js';
import { integer, originList } from './validators.js';

/** How the service listens, what its HTTP endpoint accepts and serves, and how it stops. */
export const SERVER_SETTINGS = {
  PORT: integer(0, 65_535)({ default: 4000, desc: 'TCP port the GraphQL server listens on; 0 picks a free port (the log says which).' }),
  HOST: host({ default: '127.0.0.1', desc: 'Interface the GraphQL server listens on. Use `0.0.0.0` to accept connections from other machines.' }),
  MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024)({
    default: 100_000,
    desc: 'Largest request body accepted; a larger one is refused with HTTP 413 before it is read in full.',
  }),
  HTTP_HEADERS_TIMEOUT_MS: integer(1000, 600_000)({
    default: 10_000,
    desc: "Longest a client may take to send a request's headers; then its connection is closed.",
  }),
  HTTP_REQUEST_TIMEOUT_MS: integer(1000, 3_600_000)({
    default: 30_000,
    desc: 'Longest a client may take to send a whole request, body included (a body that lies about its length frees its connection then).',
  }),
  HTTP_IDLE_TIMEOUT_MS: integer(1000, 3_600_000)({
    default: 30_000,
    desc: 'A connection on which nothing moves either way for `OPERATION_DEADLINE_MS` plus this long is closed, with its response: a client that stops reading frees what it holds.',
  }),
  CORS_ORIGINS: originList({
    default: '',
    desc: 'Comma-separated origins (e.g. `https://app.example.com`) whose browser pages may call the API. Unset: no cross-origin access at all.',
  }),
  GRAPHIQL: bool({
    default: true,
    desc: 'Serve GraphiQL at /graphql to browsers, with its files under /graphiql/ (cached by browsers; see docs/operations.md). Set `false` in production if it should not be public.',
  }),
  INTROSPECTION: bool({
    default: true,
    desc: 'Answer introspection queries. `false` also hides "did you mean" field suggestions in errors. Federation (`_service`) keeps working.',
  }),
  TRUSTED_DOCUMENTS_FILE: str({
    default: '',
    desc: 'Path to a JSON object mapping document ids (e.g. sha256 hashes) to GraphQL documents. Set: only those persisted operations run (sent as `documentId` or Apollo\'s `extensions.persistedQuery.sha256Hash`); any other is refused.',
  }),
  SHUTDOWN_DRAIN_MS: integer(0, 600_000)({
    default: 0,
    desc: 'On SIGTERM/SIGINT, how long /readyz answers 503 while new connections are still accepted, so a load balancer stops sending traffic first (5000 is typical behind one).',
  }),
  SHUTDOWN_GRACE_MS: integer(0, 600_000)({
    default: 15_000,
    desc: 'On SIGTERM/SIGINT, how long operations in flight may take to finish once new connections are refused; then the rest are cut off and the process exits.',
  }),
};

export const SERVER_RULES: Array<Rule<typeof SERVER_SETTINGS>> = [
  ({ HTTP_HEADERS_TIMEOUT_MS: headers, HTTP_REQUEST_TIMEOUT_MS: request }) =>
    headers !== undefined && request !== undefined && headers > request
      ? { variable: 'HTTP_HEADERS_TIMEOUT_MS', message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)' }
      : undefined,
];

export function readServer(env: Values<typeof SERVER_SETTINGS & Pick<typeof LIMIT_SETTINGS, 'OPERATION_DEADLINE_MS'>>) {
  return {
    port: env.PORT,
    host: env.HOST,
    maxBodyBytes: env.MAX_BODY_BYTES,
    corsOrigins: env.CORS_ORIGINS as readonly string[],
    graphiql: env.GRAPHIQL,
    introspection: env.INTROSPECTION,
    trustedDocumentsFile: env.TRUSTED_DOCUMENTS_FILE || undefined,
    /** Node's `headersTimeout` and `requestTimeout`: a slow or lying client frees its connection. */
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    /** The socket's idle timeout. A connection waits, idle, for its operation: the idle time counts from the deadline. */
    idleTimeoutMs: env.OPERATION_DEADLINE_MS + env.HTTP_IDLE_TIMEOUT_MS,
    /** On SIGTERM, how long /readyz says 503 while still accepting, then how long operations in flight may finish. */
    drainMs: env.SHUTDOWN_DRAIN_MS,
    graceMs: env.SHUTDOWN_GRACE_MS,
  };
}

/** How the service listens and what its HTTP endpoint accepts. */
export type ServerConfig = ReturnType<typeof readServer>;
