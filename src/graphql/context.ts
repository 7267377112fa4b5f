import type { YogaInitialContext } from 'graphql-yoga';
import type { Access, CallerOrRefusal } from '../callers/access.js';
import type { LimitsConfig } from '../config/index.js';
import { createImageLoader, type ImageLoader } from '../images/image-loader.js';
import type { ImageSource } from '../images/image-source.js';
import type { Observer } from '../observability/observer.js';
import { forbidden, identityProviderUnavailable, toGraphQLError, unauthenticated } from './errors.js';
import type { OperationRecord, OperationRecords } from './operation-record.js';
import type { FeaturesOff } from '../config/bench-switches.js';

/** What resolvers and execution hooks see. Made fresh for every GraphQL request, so no loader outlives its operation. */
export interface Context {
  readonly images: ImageLoader;
  readonly limits: LimitsConfig;
  /** The request and its operation, worked out once: its id, deadline, ledger, name, ... (operation-record.ts). */
  readonly operation: OperationRecord;
}

/** The long-lived parts a context is made from; tests pass their own. */
export interface ContextDeps {
  readonly source: ImageSource;
  readonly access: Access;
  readonly limits: LimitsConfig;
  readonly observer: Pick<Observer, 'loaderBatch'>;
  /** For the benchmark's ablation only (config/bench-switches.ts). */
  readonly off?: FeaturesOff;
}

/** Every upstream call of the context's loader, queued or in flight, is abandoned when the record's deadline passes. */
export function createContextFactory(deps: ContextDeps, records: Pick<OperationRecords, 'of'>) {
  return ({ request }: YogaInitialContext): Context => {
    const operation = records.of(request);
    const { ledger } = operation;
    // Who the request acts as is worked out once, and only if it asks for an image (a JWT costs a signature check).
    let caller: Promise<CallerOrRefusal> | undefined;
    const images = createImageLoader(async (ref) => {
      const who = await (caller ??= deps.access.callerFor(request));
      if ('refusal' in who) throw unauthenticated(who.refusal);
      if ('unavailable' in who) throw identityProviderUnavailable(who.unavailable, who.retryAfterMs);
      // A verified JWT, or a deployment that needs no credential, says who the caller is; a token passed through
      // only once the upstream has taken it lately (else anyone could fill the metrics' few name pairs with junk).
      if (who.caller.credential.kind !== 'token') operation.identified = true;
      if (!deps.access.mayRead(ref)) throw forbidden(`This service is not allowed to read project ${ref.projectId}.`);
      try {
        const fetched = await deps.source.fetch(ref, who.caller, operation, () => ledger.called());
        ledger.read(ref, fetched);
        return fetched.metadata;
      } catch (error) {
        throw toGraphQLError(error);
      } finally {
        if (deps.source.accepted(who.caller)) operation.identified = true;
      }
    }, deps.off?.has('concurrency-caps') ? Number.POSITIVE_INFINITY : deps.limits.concurrency, (size) => deps.observer.loaderBatch(size));
    return { images, limits: deps.limits, operation };
  };
}
