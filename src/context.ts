import type { YogaInitialContext } from 'graphql-yoga';
import { createImageLoader, type ImageLoader } from './image-loader.js';
import type { LegacyClient } from './legacy/client.js';

/** What resolvers see. Made fresh for every GraphQL request, so no loader outlives its operation. */
export interface Context {
  readonly images: ImageLoader;
  readonly limits: Limits;
}

export interface Limits {
  /** Most ids one `images` field accepts. */
  readonly imagesMaxIds: number;
}

/** The long-lived parts a context is made from; tests pass their own. */
export interface ContextDeps {
  readonly client: LegacyClient;
  readonly concurrencyPerOperation: number;
  readonly limits: Limits;
}

export function createContextFactory(deps: ContextDeps) {
  return ({ request }: YogaInitialContext): Context => {
    const authToken = request.headers.get('x-auth-token') ?? undefined;
    return {
      images: createImageLoader(
        (ref) => deps.client.getImageMetadata(ref, { authToken, signal: request.signal }),
        deps.concurrencyPerOperation,
      ),
      limits: deps.limits,
    };
  };
}
