// Hive Gateway configuration (`hive-gateway supergraph federation/supergraph.graphql -c federation/gateway.config.ts`).
// No imports, so that the same file works with the npm package and with the official Docker image.

/**
 * Forward the caller's IAM token to the subgraphs: ecs-image-graph sends it on to the legacy API
 * (AUTH_MODE=passthrough). Nothing else from the client is forwarded.
 */
export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs({ request }: { request: Request }) {
      const token = request.headers.get('x-auth-token');
      return token ? { 'x-auth-token': token } : {};
    },
  },
};
