import { sign, type AccessKey } from './signer.js';

/** How a call proves who it is to the legacy API. */
export type Credential =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'access-key'; readonly key: AccessKey; readonly securityToken: string | undefined }
  | { readonly kind: 'none' };

/**
 * The headers that carry `credential` on a GET of `path`: the caller's `X-Auth-Token`, or an AK/SK
 * signature (`X-Sdk-Date`, `Authorization`) with `X-Project-Id` and, for temporary credentials,
 * `X-Security-Token`. The signature covers `host`, so the request must send exactly `host`.
 */
export function credentialHeaders(credential: Credential, request: { host: string; path: string; projectId: string; now?: Date }): Record<string, string> {
  switch (credential.kind) {
    case 'none':
      return {};
    case 'token':
      return { 'x-auth-token': credential.token };
    case 'access-key': {
      const signed: Record<string, string> = { host: request.host, 'x-project-id': request.projectId };
      if (credential.securityToken !== undefined) signed['x-security-token'] = credential.securityToken;
      const signature = sign({ method: 'GET', path: request.path, headers: signed }, credential.key, request.now ?? new Date());
      return { ...signed, 'x-sdk-date': signature.headers['X-Sdk-Date'], authorization: signature.headers.Authorization };
    }
  }
}
