import { builder } from './builder.js';
import './scalars.js';
import './enums.js';
import './image.js';
import './image-attributes.js';

/**
 * The whole schema, as an Apollo Federation v2 subgraph (`_service`, `_entities`, `@link`, `@key`). Building
 * it has no side effect; `scripts/print-schema.ts` writes `schema.graphql`.
 */
export const schema = builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6', federationDirectives: ['@key'] });
