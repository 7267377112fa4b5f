import type { YogaInitialContext } from 'graphql-yoga';
import type { OperationLimits } from './config.js';
import { toGraphQLError } from './errors.js';
import { createImageLoader, type ImageLoader } from './image-loader.js';
import type { LegacyClient } from './legacy/client.js';
import { UpstreamError } from './legacy/errors.js';
import type { OperationBudget } from './operation-budget.js';

/** What resolvers see. Made fresh for every GraphQL request, so no loader outlives its operation. */
export interface Context {
  readonly images: ImageLoader;
  readonly limits: OperationLimits;
}

/** The long-lived parts a context is made from; tests pass their own. */
export interface ContextDeps {
  readonly client: LegacyClient;
  readonly limits: OperationLimits;
  /**
   * Whether a call needs the caller's token. False only for the built-in sandbox: a real endpoint would
   * answer 401, so a request without a token is refused before it costs an upstream call.
   */
  readonly tokenRequired: boolean;
}

/** @param budgetFor the operation's deadline: every upstream call, queued or in flight, is abandoned when it passes. */
export function createContextFactory(deps: ContextDeps, budgetFor: (request: Request) => OperationBudget) {
  return ({ request }: YogaInitialContext): Context => {
    const authToken = request.headers.get('x-auth-token') ?? undefined;
    const { signal, deadlineAt } = budgetFor(request);

    const fetchImage = async (ref: Parameters<LegacyClient['getImageMetadata']>[0]) => {
      try {
        if (deps.tokenRequired && !authToken) {
          throw new UpstreamError('unauthenticated', 'No credential: send an IAM token in the X-Auth-Token header.');
        }
        return await deps.client.getImageMetadata(ref, { authToken, signal, deadlineAt });
      } catch (error) {
        throw toGraphQLError(error);
      }
    };
    return { images: createImageLoader(fetchImage, deps.limits.concurrency), limits: deps.limits };
  };
}
