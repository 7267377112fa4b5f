import type { Coalescer } from './cache/coalescer.js';
import type { ImageCache } from './cache/image-cache.js';
import type { LegacyClient } from './legacy/client.js';
import type { Credential } from './legacy/credentials.js';
import { abortReason, errorFromException, UpstreamError } from './legacy/errors.js';
import type { ImageMetadata } from './legacy/image-metadata.js';
import type { ImageRef } from './legacy/image-ref.js';
import type { Observer } from './observability/observer.js';
import type { RequestScope } from './request-scope.js';

/** Who a request acts as: the credential sent upstream, and the cache scope that credential may see. */
export interface Caller {
  readonly scope: string;
  readonly credential: Credential;
}

/**
 * Where an image's metadata comes from, cheapest first: the cache (for this caller's scope only), a call
 * already in flight for the same caller and image (shared across requests), else a new upstream call,
 * whose answer is cached before it is returned.
 */
export class ImageSource {
  constructor(
    private readonly client: LegacyClient,
    private readonly cache: ImageCache,
    private readonly coalescer: Coalescer<ImageMetadata | null>,
    private readonly observer: Pick<Observer, 'cacheLookup' | 'coalesced'>,
  ) {}

  async fetch(ref: ImageRef, caller: Caller, scope: RequestScope): Promise<ImageMetadata | null> {
    const cached = await this.cache.get(caller.scope, ref);
    this.observer.cacheLookup(cached !== undefined);
    if (cached !== undefined) return cached;
    const key = this.cache.key(caller.scope, ref);
    if (this.coalescer.waiters(key) > 0) this.observer.coalesced();
    try {
      return await this.coalescer.run(key, scope, async (shared) => {
        const answer = await this.client.getImageMetadata(ref, {
          credential: caller.credential,
          signal: shared.signal,
          deadlineAt: shared.deadlineAt,
          requestId: shared.requestId,
          traceContext: shared.traceContext,
        });
        await this.cache.set(caller.scope, ref, answer);
        return answer;
      });
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      // This caller's own deadline passed (or its client left) while it waited for a shared call.
      throw errorFromException(error, abortReason(scope.signal));
    }
  }
}
