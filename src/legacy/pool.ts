import { Pool } from 'undici';

/**
 * The one connection pool to the legacy API's origin, made at start and closed on shutdown.
 * undici's own timeouts are minutes long; these are sized for a metadata call that answers in well under
 * a second.
 */
export function createLegacyPool(endpoint: URL): Pool {
  return new Pool(endpoint.origin, {
    connections: 32,
    connectTimeout: 5_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    keepAliveTimeout: 4_000,
  });
}
