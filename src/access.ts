import type { AuthConfig } from './config.js';
import type { ImageRef } from './legacy/image-ref.js';
import type { Caller } from './image-source.js';

/** Who a request may act as, and which projects it may read. */
export interface Access {
  /** The caller behind a request; undefined when it brings no credential and one is needed. */
  callerFor(request: Request): Caller | undefined;
  mayRead(ref: ImageRef): boolean;
}

/**
 * - passthrough: the caller's own `X-Auth-Token` is forwarded, and its cache scope is a keyed hash of that
 *   token. Without a token the request is refused, unless the upstream needs none (the built-in sandbox).
 * - service: every call is signed with the service's AK/SK, so every caller shares that identity (and
 *   cache scope); the allow-list is then all that stands between a caller and any project the key can read.
 */
export function createAccess(auth: AuthConfig, options: { tokenRequired: boolean; tokenScope: (token: string) => string }): Access {
  if (auth.mode === 'service') {
    const caller: Caller = {
      scope: `ak:${auth.accessKey}`,
      credential: { kind: 'access-key', key: { accessKey: auth.accessKey, secretKey: auth.secretKey }, securityToken: auth.securityToken },
    };
    return { callerFor: () => caller, mayRead: (ref) => auth.allowedProjectIds.has(ref.projectId) };
  }
  const anonymous: Caller = { scope: 'anonymous', credential: { kind: 'none' } };
  return {
    callerFor(request) {
      const token = request.headers.get('x-auth-token');
      if (token) return { scope: options.tokenScope(token), credential: { kind: 'token', token } };
      return options.tokenRequired ? undefined : anonymous;
    },
    mayRead: () => true,
  };
}
