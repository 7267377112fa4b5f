import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { AuthConfig, ServiceCallers } from '../config/index.js';
import type { Caller } from '../images/caller.js';
import type { ImageRef } from '../images/image-ref.js';
import type { Logger } from 'pino';
import { KEY_SET_TIMING, KeySet, KeySetUnavailable, type KeySetTiming } from './key-set.js';

/**
 * The caller behind a request; or why it has none (the message is for the client: it never echoes a credential);
 * or, in service mode, that its JWT cannot be checked now (the identity provider's key set cannot be had).
 */
export type CallerOrRefusal =
  | { readonly caller: Caller }
  | { readonly refusal: string }
  | { readonly unavailable: string; readonly retryAfterMs: number };

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
export function createAccess(
  auth: AuthConfig,
  options: { tokenRequired: boolean; tokenScope: (token: string) => string; logger: Logger; keySetTiming?: KeySetTiming },
): Access {
  if (auth.mode === 'service') {
    const scope = `ak:${auth.accessKey}`;
    const credential = { kind: 'access-key', key: { accessKey: auth.accessKey, secretKey: auth.secretKey }, securityToken: auth.securityToken } as const;
    const identify = callerIdentity(auth.callers, options.logger, options.keySetTiming ?? KEY_SET_TIMING);
    return {
      async callerFor(request) {
        const identity = await identify(request);
        return 'rateKey' in identity ? { caller: { scope, credential, rateKey: identity.rateKey } } : identity;
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
function callerIdentity(callers: ServiceCallers, logger: Logger, timing: KeySetTiming): (request: Request) => Promise<{ rateKey: string } | Exclude<CallerOrRefusal, { caller: Caller }>> {
  if (callers.kind === 'network') return async () => ({ rateKey: 'service' });
  const keys = new KeySet(callers.jwksUrl, logger, { ...timing, maxAgeMs: callers.jwksRefreshMs });
  return async (request) => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token) return { refusal: 'No credential: send a JWT in the Authorization header (Bearer).' };
    try {
      const payload = await verified(token, keys.getKey, {
        issuer: callers.issuer,
        audience: callers.audience,
        // Asymmetric keys only: a JWKS that published a symmetric key would let anyone who read it sign.
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
        requiredClaims: ['sub', 'exp'],
      });
      // The subject is whose allowance the request spends: a number, or "", would be one shared by every such token.
      if (typeof payload.sub !== 'string' || payload.sub.trim() === '') return { refusal: 'The JWT was not accepted: its "sub" claim must be a non-empty string.' };
      // A token that stays valid for years is a password that never changes: its lifetime (from `iat`, or from now) is bounded.
      // An `iat` in the future counts as now: jose lets one through, and it would make any lifetime look short.
      const now = Math.floor(Date.now() / 1000);
      const lifetime = payload.exp! - Math.min(payload.iat ?? now, now);
      if (lifetime > callers.maxTokenAgeSeconds) {
        return { refusal: `The JWT was not accepted: it is valid for ${lifetime} s, more than the ${callers.maxTokenAgeSeconds} s allowed (JWT_MAX_AGE_SECONDS).` };
      }
      return { rateKey: `jwt:${payload.sub}` };
    } catch (error) {
      if (error instanceof KeySetUnavailable) return { unavailable: error.message, retryAfterMs: error.retryAfterMs };
      const reason = refusalReason(error);
      // Anything else is a bug of this service, not the caller's problem: masked and logged.
      if (reason === undefined) throw error;
      return { refusal: `The JWT was not accepted: ${reason}.` };
    }
  };
}

/**
 * The JWT's verified claims. A token without a `kid`, checked against a key set with several keys of its algorithm
 * (as during a rotation), is tried against each of them in turn, as jose's documentation shows: jose itself only
 * throws JWKSMultipleMatchingKeys.
 */
async function verified(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (keyError) {
        if (!(keyError instanceof joseErrors.JWSSignatureVerificationFailed)) throw keyError;
      }
    }
    throw new joseErrors.JWSSignatureVerificationFailed();
  }
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
