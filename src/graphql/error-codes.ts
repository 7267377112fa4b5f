/**
 * Every `extensions.code` a client of this API can see, and when: the one record that types
 * `extensions.code` (src/graphql/errors.ts) and that the README's error tables are generated from
 * (`npm run docs`). Frontends switch on these codes.
 *
 * `image`: what the code means on the path of one image (`null` there, the rest of the answer still sent).
 * `request`: what it means for a request refused whole (no `data`), with its HTTP `status` when the client
 * accepts `application/graphql-response+json`; with `application/json` a GraphQL request error is a 200, as
 * GraphQL over HTTP asks, except for a request that is `notGraphQL` at all, which keeps its status.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: {
    image: 'An invalid project or image id, or too many ids (`extensions.argumentName` names the argument). No upstream call is made.',
    request: 'A variable of the wrong type, or a query over a GraphQL Armor limit (`MAX_DEPTH`, `MAX_ALIASES`, `MAX_COST`, `MAX_DIRECTIVES`).',
    status: 400,
    retried: 'no',
  },
  UNAUTHENTICATED: {
    image:
      'The upstream answered 401 (e.g. gateway code `APIGW.0301`: a bad or expired token); or, with no upstream call: the request has no `X-Auth-Token` at all, in service mode its JWT is missing or not accepted, or the upstream refused this same token moments ago (`UPSTREAM_AUTH_FAILURE_CACHE_SECONDS`).',
    retried: 'no',
  },
  IDENTITY_PROVIDER_UNAVAILABLE: {
    image:
      'In service mode with JWT callers (`SERVICE_CALLER_AUTH=jwt`), no key can be had to check the JWT: the key set (`JWT_JWKS_URL`) has never been fetched and does not answer now. The JWT is neither accepted nor refused; retry later, as after an HTTP 503 (`extensions.retryAfter`: when the key set is asked for again). No upstream call is made. Once keys are known, an outage of the key set changes nothing: they keep verifying.',
    retried: 'no',
  },
  FORBIDDEN: {
    image:
      "The upstream answered 403 (e.g. `Ecs.0023`: the token's project is not the one asked for); or, with no upstream call: in service mode the project is not in `ALLOWED_PROJECT_IDS`, or the upstream refused this token this project moments ago.",
    retried: 'no',
  },
  RATE_LIMITED: {
    image:
      "The upstream answered 429, or 413 with a Nova `overLimit` body, and retrying did not help; or this caller is over its own rate of upstream calls (`UPSTREAM_CALLS_PER_CALLER_PER_SECOND`), or its credential is new and its address has had too many refused lately (`UPSTREAM_REFUSALS_PER_ADDRESS_PER_MINUTE`, see [abuse-protection.md](abuse-protection.md#refusals-remembered)); in these two cases no call is made and there is no `extensions.upstream`. `extensions.retryAfter` is the wait in seconds when it is known (`Retry-After`, Nova's `retryAfter`, or the caller's next allowance).",
    retried: 'yes, honouring `Retry-After`',
  },
  UPSTREAM_TIMEOUT: {
    image: "No answer within `UPSTREAM_TIMEOUT_MS` after the retries, or the operation's deadline (`OPERATION_DEADLINE_MS`) passed.",
    retried: 'yes, within the deadline',
  },
  UPSTREAM_UNAVAILABLE: {
    image: 'The upstream answered 5xx, the connection was refused or reset, or the circuit is open (the upstream has been failing; calls pause for a few seconds).',
    retried: 'yes (500, 502, 503, 504, connection errors)',
  },
  UPSTREAM_BAD_RESPONSE: {
    image: 'The upstream answered 2xx with a body that is not `{"metadata": {string: string}}`: cut off, HTML, another shape.',
    retried: 'no',
  },
  OPERATION_TOO_LARGE: {
    image: 'The response already carries `MAX_RESPONSE_BYTES` of image data: this image result is left out.',
    request:
      'The operation can produce more than `MAX_IMAGES_PER_OPERATION` image results (`extensions.images`, `extensions.maxImages`), or selects a field of an image under two names. No upstream call is made.',
    status: 400,
    retried: 'no',
  },
  INTERNAL_SERVER_ERROR: {
    image: 'Anything else (an upstream 400 or 409, a bug): the message is masked as `Unexpected error.` and the cause is logged.',
    retried: 'no',
  },
  GRAPHQL_PARSE_FAILED: { request: 'A syntax error, or more than `MAX_TOKENS` tokens.', status: 400 },
  GRAPHQL_VALIDATION_FAILED: {
    request: 'An unknown field or argument, a mutation or subscription (the schema has none), introspection while `INTROSPECTION=false`.',
    status: 400,
  },
  OPERATION_RESOLUTION_FAILURE: { request: 'A document of several operations with no `operationName`, or a name it does not hold.', status: 400 },
  BAD_REQUEST: {
    request:
      'Not a GraphQL-over-HTTP request: a body that is not JSON, no `query`, a parameter of the wrong type or (in a GET) not valid JSON; 405 for a method other than GET and POST, or a mutation sent by GET. Whatever the client accepts.',
    status: 400,
    notGraphQL: true,
  },
  REQUEST_ENTITY_TOO_LARGE: { request: 'A body over `MAX_BODY_BYTES`, refused before it is read in full. Whatever the client accepts.', status: 413, notGraphQL: true },
  CSRF_PREVENTED: {
    request:
      'A GET, or a POST of a content type a browser form can send (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`), without an `x-graphql-yoga-csrf` header (any value). Whatever the client accepts.',
    status: 403,
    notGraphQL: true,
  },
  PERSISTED_QUERY_NOT_IN_LIST: { request: 'In trusted-documents mode, a document id that is not in `TRUSTED_DOCUMENTS_FILE`.', status: 400 },
  PERSISTED_QUERY_ID_REQUIRED: { request: 'In trusted-documents mode, a request with neither a document id nor a query.', status: 400 },
  CANNOT_SEND_PQ_ID_AND_BODY: { request: 'In trusted-documents mode, a request that sends a query instead of a document id.', status: 400 },
} as const satisfies Record<string, { image?: string; request?: string; status?: number; notGraphQL?: true; retried?: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a request refused with `code` keeps its 4xx even for a client that accepts `application/json`. */
export function isNotGraphQL(code: unknown): boolean {
  return typeof code === 'string' && code in ERROR_CODES && 'notGraphQL' in ERROR_CODES[code as ErrorCode];
}
