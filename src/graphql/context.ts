import type { YogaInitialContext } from 'graphql-yoga';
import type { Access, CallerOrRefusal } from '../callers/access.js';
import type { LimitsConfig } from '../config/index.js';
import { forbidden, toGraphQLError, unauthenticated } from './errors.js';
import { createImageLoader, type ImageLoader } from '../images/image-loader.js';
import type { ImageSource } from '../images/image-source.js';
import type { Observer } from '../observability/observer.js';
import { OperationLedger } from '../images/operation-ledger.js';
import type { RequestScope } from './request-scope.js';

/** What resolvers see. Made fresh for every GraphQL request, so no loader outlives its operation. */
export interface Context {
  readonly images: ImageLoader;
  readonly limits: LimitsConfig;
  /** What the operation read and spent: upstream calls, freshness, stale images, response bytes. */
  readonly ledger: OperationLedger;
}

/** The long-lived parts a context is made from; tests pass their own. */
export interface ContextDeps {
  readonly source: ImageSource;
  readonly access: Access;
  readonly limits: LimitsConfig;
  readonly observer: Pick<Observer, 'loaderBatch'>;
}

/** @param scopeFor the request's scope: its deadline (every upstream call, queued or in flight, is abandoned when it passes), id and trace. */
export function createContextFactory(deps: ContextDeps, scopeFor: (request: Request) => RequestScope) {
  return ({ request }: YogaInitialContext): Context => {
    const scope = scopeFor(request);
    const ledger = new OperationLedger(deps.limits.maxResponseBytes);
    // Who the request acts as is worked out once, and only if it asks for an image (a JWT costs a signature check).
    let caller: Promise<CallerOrRefusal> | undefined;
    const images = createImageLoader(async (ref) => {
      const who = await (caller ??= deps.access.callerFor(request));
      if ('refusal' in who) throw unauthenticated(who.refusal);
      if (!deps.access.mayRead(ref)) throw forbidden(`This service is not allowed to read project ${ref.projectId}.`);
      try {
        const fetched = await deps.source.fetch(ref, who.caller, scope, () => ledger.called());
        ledger.read(ref, fetched);
        return fetched.metadata;
      } catch (error) {
        throw toGraphQLError(error);
      }
    }, deps.limits.concurrency, (size) => deps.observer.loaderBatch(size));
    return { images, limits: deps.limits, ledger };
  };
}
