import { builder } from './builder.js';
import './scalars.js';
import './enums.js';
import './image.js';
import './image-attributes.js';

/** The whole schema. Building it has no side effect; `scripts/print-schema.ts` writes `schema.graphql`. */
export const schema = builder.toSchema();
