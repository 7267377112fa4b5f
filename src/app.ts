import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import { createContextFactory, type ContextDeps } from './context.js';
import { maskError } from './errors.js';
import { createOperationBudgets } from './operation-budget.js';
import { yogaLogger, type Logger } from './logger.js';
import { useRequestErrorStatus } from './plugins/request-errors.js';
import { schema } from './schema/index.js';
import { DOCUMENTED_IMAGE } from './sandbox/samples.js';

export interface AppDeps extends ContextDeps {
  readonly logger: Logger;
}

/** The GraphQL server as a fetch handler: no environment, no listening. `main.ts` serves it; tests call it. */
export function createApp(deps: AppDeps) {
  const budgets = createOperationBudgets(deps.limits.deadlineMs);
  return createYoga({
    schema,
    context: createContextFactory(deps, budgets.forRequest),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    maskedErrors: { maskError },
    logging: yogaLogger(deps.logger),
    // The self-contained GraphiQL: Yoga's default page loads its scripts from a CDN and is blank offline.
    renderGraphiQL,
    graphiql: { title: 'ecs-image-graph', defaultQuery: EXAMPLE_QUERY },
    plugins: [useRequestErrorStatus(), budgets.plugin],
  });
}

export type App = ReturnType<typeof createApp>;

/** GraphiQL's opening query: the documented example image, which the built-in sandbox serves. */
export const EXAMPLE_QUERY = `# The image from Huawei's documentation, served by the built-in sandbox.
# Press the run button (or Ctrl+Enter). Deprecated fields are struck through:
# their docs say where IMS, the replacement API, keeps the same value.
query SampleImage {
  image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") {
    id
    osType
    osBit
    platform
    osVersion
    imageType
    virtualEnvType
    metadata {
      key
      value
    }
  }
}
`;
