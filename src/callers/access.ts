import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { AuthConfig, ServiceCallers } from '../config/index.js';
import type { Caller } from '../images/caller.js';
import type { ImageRef } from '../images/image-ref.js';

/** The caller behind a request, or why it has none (the message is for the client: it never echoes a credential). */
export type CallerOrRefusal = { readonly caller: Caller } | { readonly refusal: string };

/** Who a request may act as, and which projects it may read. */
export interface Access {
  callerFor(request: Request): Promise<CallerOrRefusal>;
  mayRead(ref: ImageRef): boolean;
}

/**
 * - passthrough: the caller's own `X-Auth-Token` is forwarded, and its cache scope (and rate limit) is a
 *   keyed hash of that token. Without a token the request is refused, unless the upstream needs none (the
 *   built-in sandbox).
 * - service: every call is signed with the service's AK/SK, so every caller shares that identity (and cache
 *   scope); the allow-list is then all that stands between a caller and any project the key can read. Callers
 *   prove who they are with a JWT (the rate limit keys on its subject), unless the deployment says that only
 *   the gateway can reach the service.
 */
export function createAccess(auth: AuthConfig, options: { tokenRequired: boolean; tokenScope: (token: string) => string }): Access {
  if (auth.mode === 'service') {
    const scope = `ak:${auth.accessKey}`;
    const credential = { kind: 'access-key', key: { accessKey: auth.accessKey, secretKey: auth.secretKey }, securityToken: auth.securityToken } as const;
    const identify = callerIdentity(auth.callers);
    return {
      async callerFor(request) {
        const identity = await identify(request);
        return 'refusal' in identity ? identity : { caller: { scope, credential, rateKey: identity.rateKey } };
      },
      mayRead: (ref) => auth.allowedProjectIds.has(ref.projectId),
    };
  }
  const anonymous: CallerOrRefusal = { caller: { scope: 'anonymous', credential: { kind: 'none' }, rateKey: 'anonymous' } };
  const noToken: CallerOrRefusal = { refusal: 'No credential: send an IAM token in the X-Auth-Token header.' };
  return {
    async callerFor(request) {
      const token = request.headers.get('x-auth-token');
      if (!token) return options.tokenRequired ? noToken : anonymous;
      const scope = options.tokenScope(token);
      return { caller: { scope, credential: { kind: 'token', token }, rateKey: scope } };
    },
    mayRead: () => true,
  };
}

/** In service mode, whose rate a request spends: the verified JWT's subject, or the one shared key of a network-isolated deployment. */
function callerIdentity(callers: ServiceCallers): (request: Request) => Promise<{ rateKey: string } | { refusal: string }> {
  if (callers.kind === 'network') return async () => ({ rateKey: 'service' });
  // jose fetches the key set when a token names a key it has not seen, and caches it.
  const keys = createRemoteJWKSet(callers.jwksUrl, { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  return async (request) => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token) return { refusal: 'No credential: send a JWT in the Authorization header (Bearer).' };
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: callers.issuer,
        audience: callers.audience,
        // Asymmetric keys only: a JWKS that published a symmetric key would let anyone who read it sign.
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
        requiredClaims: ['sub', 'exp'],
      });
      return { rateKey: `jwt:${payload.sub}` };
    } catch (error) {
      const reason = refusalReason(error);
      // Anything else (the key set cannot be fetched) is this service's problem, not the caller's: masked and logged.
      if (reason === undefined) throw error;
      return { refusal: `The JWT was not accepted: ${reason}.` };
    }
  };
}

function refusalReason(error: unknown): string | undefined {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `its "${error.claim}" claim is wrong or missing`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the key set signed it';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JOSENotSupported) return 'it is not a well-formed JWT';
  return undefined;
}
