import type { YogaInitialContext } from 'graphql-yoga';
import type { Access } from './access.js';
import type { OperationLimits } from './config.js';
import { forbidden, toGraphQLError, unauthenticated } from './errors.js';
import { createImageLoader, type ImageLoader } from './image-loader.js';
import type { ImageSource } from './image-source.js';
import type { Observer } from './observability/observer.js';
import type { RequestScope } from './request-scope.js';

/** What resolvers see. Made fresh for every GraphQL request, so no loader outlives its operation. */
export interface Context {
  readonly images: ImageLoader;
  readonly limits: OperationLimits;
}

/** The long-lived parts a context is made from; tests pass their own. */
export interface ContextDeps {
  readonly source: ImageSource;
  readonly access: Access;
  readonly limits: OperationLimits;
  readonly observer: Pick<Observer, 'loaderBatch'>;
}

/** @param scopeFor the request's scope: its deadline (every upstream call, queued or in flight, is abandoned when it passes), id and trace. */
export function createContextFactory(deps: ContextDeps, scopeFor: (request: Request) => RequestScope) {
  return ({ request }: YogaInitialContext): Context => {
    const caller = deps.access.callerFor(request);
    const scope = scopeFor(request);
    const images = createImageLoader(async (ref) => {
      if (!caller) throw unauthenticated('No credential: send an IAM token in the X-Auth-Token header.');
      if (!deps.access.mayRead(ref)) throw forbidden(`This service is not allowed to read project ${ref.projectId}.`);
      try {
        return await deps.source.fetch(ref, caller, scope);
      } catch (error) {
        throw toGraphQLError(error);
      }
    }, deps.limits.concurrency, (size) => deps.observer.loaderBatch(size));
    return { images, limits: deps.limits };
  };
}
