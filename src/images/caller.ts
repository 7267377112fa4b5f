/** An AK/SK pair: the service's own identity in service mode. */
export interface AccessKey {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** How a call proves who it is to the upstream. */
export type Credential =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'access-key'; readonly key: AccessKey; readonly securityToken: string | undefined }
  | { readonly kind: 'none' };

/** Who a request acts as: the credential sent upstream, the cache scope that credential may see, and whose rate it spends. */
export interface Caller {
  readonly scope: string;
  readonly credential: Credential;
  /** The key of the caller's upstream rate limit. */
  readonly rateKey: string;
}
