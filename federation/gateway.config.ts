// Hive Gateway configuration (`hive-gateway supergraph federation/supergraph.graphql -c federation/gateway.config.ts`).
// No imports, so that the same file works with the npm package and with the official Docker image.

export const gatewayConfig = {
  /**
   * Forward the caller's IAM token to the subgraphs: ecs-image-graph sends it on to the legacy API
   * (AUTH_MODE=passthrough). Nothing else from the client is forwarded.
   */
  propagateHeaders: {
    fromClientToSubgraphs({ request }: { request: Request }) {
      const token = request.headers.get('x-auth-token');
      return token ? { 'x-auth-token': token } : {};
    },
  },
  /**
   * Demand control, from the `@cost` and `@listSize` directives the subgraphs publish: ecs-image-graph charges
   * 10 for each `image` and assumes the longest `images` list (100 ids), so one `images` field costs about 1,100
   * and an operation may hold two of them, as many as ecs-image-graph lets through (200 image results). A
   * costlier operation is refused before any subgraph is called.
   */
  demandControl: {
    maxCost: 2500,
  },
};
