// Hive Gateway configuration (`hive-gateway supergraph federation/supergraph.graphql -c federation/gateway.config.ts`).
// No imports, so that the same file works with the npm package and with the official Docker image.

export const gatewayConfig = {
  /**
   * Forward the caller's IAM token to the subgraphs: ecs-image-graph sends it on to the upstream API
   * (AUTH_MODE=passthrough). Nothing else from the client is forwarded.
   *
   * Back to the client go ecs-image-graph's deprecation notice (`Deprecation`, RFC 9745; its `Link` with
   * rel="deprecation", not any other link; `Sunset`, RFC 8594), sent when the part of the query it answered
   * selects a deprecated field. A query may call it several times (root fields, then `_entities`): each header
   * is then set once, not repeated (`deduplicateHeaders`), as `Deprecation` and `Sunset` hold one value.
   */
  propagateHeaders: {
    fromClientToSubgraphs({ request }: { request: Request }) {
      const token = request.headers.get('x-auth-token');
      return token ? { 'x-auth-token': token } : {};
    },
    fromSubgraphsToClient({ response, subgraphName }: { response: Response; subgraphName: string }) {
      if (subgraphName !== 'images') return {};
      const links = deprecationLinks(response.headers.get('link'));
      return {
        deprecation: response.headers.get('deprecation'),
        link: links.length > 0 ? links.join(', ') : null,
        sunset: response.headers.get('sunset'),
      };
    },
    deduplicateHeaders: true,
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

/** The link-values of a `Link` header whose relation types include `deprecation` (RFC 8288 §3). */
function deprecationLinks(header: string | null): string[] {
  // Split at the commas outside <...> and quoted strings.
  const links = header?.match(/(?:<[^>]*>|"[^"]*"|[^,])+/g) ?? [];
  return links
    .map((link) => link.trim())
    .filter((link) => {
      const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(link);
      return (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/).includes('deprecation');
    });
}
