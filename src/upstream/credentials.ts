import type { Credential } from '../images/caller.js';
import { sign } from './signer.js';

/**
 * The headers that carry `credential` on a GET of `path`: the caller's `X-Auth-Token`, or an AK/SK
 * signature (`X-Sdk-Date`, `Authorization`) with `X-Project-Id` and, for temporary credentials,
 * `X-Security-Token`. The signature covers `host`, so the request must send exactly `host`.
 */
export function credentialHeaders(credential: Credential, request: { host: string; path: string; query?: Readonly<Record<string, string>> | undefined; projectId: string; now?: Date }): Record<string, string> {
  switch (credential.kind) {
    case 'none':
      return {};
    case 'token':
      return { 'x-auth-token': credential.token };
    case 'access-key': {
      const signed: Record<string, string> = { host: request.host, 'x-project-id': request.projectId };
      if (credential.securityToken !== undefined) signed['x-security-token'] = credential.securityToken;
      const signature = sign({ method: 'GET', path: request.path, ...(request.query && { query: request.query }), headers: signed }, credential.key, request.now ?? new Date());
      return { ...signed, 'x-sdk-date': signature.headers['X-Sdk-Date'], authorization: signature.headers.Authorization };
    }
  }
}
