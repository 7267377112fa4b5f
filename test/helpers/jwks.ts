import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER = 'https://auth.example.test/';
export const AUDIENCE = 'ecs-image-graph';

/** How the key set's host behaves: it serves the set, answers 500, or accepts the request and never answers. */
export type JwksBehaviour = 'serve' | 'fail' | 'hang';

export interface Jwks {
  /** Where the key set is served. */
  readonly url: URL;
  /** A JWT of `claims` signed with the published key (or `key`), for ISSUER and AUDIENCE unless told otherwise. */
  sign(claims: JWTPayload, options?: { key?: CryptoKey; keyId?: string | null; expiresIn?: string | number; issuer?: string; audience?: string; issuedAt?: number | false }): Promise<string>;
  /** A key the set does not hold. */
  readonly strangerKey: CryptoKey;
  /** A second key the set holds (`next-key`, as during a rotation), of the same algorithm. */
  readonly nextKey: CryptoKey;
  /** What the host does from now on (the default: serve). */
  behave(behaviour: JwksBehaviour): void;
  /** Requests for the key set so far, answered or not. */
  readonly fetches: number;
  close(): Promise<void>;
}

/** A JSON Web Key Set on a loopback port, holding the public halves of two keys made for the test run. */
export async function startJwks(): Promise<Jwks> {
  const [signing, stranger, next] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const published = async (key: CryptoKey, kid: string) => ({ ...(await exportJWK(key)), kid, alg: 'RS256', use: 'sig' });
  const body = JSON.stringify({ keys: [await published(signing.publicKey, 'test-key'), await published(next.publicKey, 'next-key')] });
  let behaviour: JwksBehaviour = 'serve';
  let fetches = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((_request, response) => {
    fetches += 1;
    if (behaviour === 'serve') response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else if (behaviour === 'fail') response.writeHead(500).end('identity provider down');
    else hanging.add(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`),
    strangerKey: stranger.privateKey,
    nextKey: next.privateKey,
    sign: (claims, options = {}) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader(options.keyId === null ? { alg: 'RS256' } : { alg: 'RS256', kid: options.keyId ?? 'test-key' })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.issuedAt !== false) jwt.setIssuedAt(options.issuedAt);
      return jwt.sign(options.key ?? signing.privateKey);
    },
    behave: (next) => {
      behaviour = next;
    },
    get fetches() {
      return fetches;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
