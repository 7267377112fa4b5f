import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER = 'https://auth.example.test/';
export const AUDIENCE = 'ecs-image-graph';

export interface Jwks {
  /** Where the key set is served. */
  readonly url: URL;
  /** A JWT of `claims` signed with the published key (or `key`), for ISSUER and AUDIENCE unless told otherwise. */
  sign(claims: JWTPayload, options?: { key?: CryptoKey; expiresIn?: string; issuer?: string; audience?: string }): Promise<string>;
  /** A key the set does not hold. */
  readonly strangerKey: CryptoKey;
  close(): Promise<void>;
}

/** A JSON Web Key Set on a loopback port, holding the public half of a key made for the test run. */
export async function startJwks(): Promise<Jwks> {
  const [signing, stranger] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(signing.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] });
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`),
    strangerKey: stranger.privateKey,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(options.key ?? signing.privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
