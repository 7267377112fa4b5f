/**
 * What a gateway's demand control (Federation 2.9 `@cost`, IBM's cost specification) charges for a field
 * that costs an upstream call, against 1 for any other object: the upstream is throttled and slow,
 * so an upstream call is worth ten objects from memory. `image` and `images` carry it; the service's own
 * estimate (`extensions.cost`) reads the same directives.
 */
export const UPSTREAM_CALL_COST = 10;
