import type { Rule, Values } from './section.js';
import { integer } from './validators.js';

/** What one GraphQL operation may be and ask of the upstream, checked before any upstream call where it can be. */
export const LIMIT_SETTINGS = {
  IMAGES_MAX_IDS: integer(1, 10_000)({
    default: 100,
    desc: 'Most ids one `images` field accepts; a longer list is refused with `BAD_USER_INPUT` before any upstream call.',
  }),
  MAX_IMAGES_PER_OPERATION: integer(1, 100_000)({
    default: 200,
    desc: 'Most image results one operation may produce, counted before any upstream call: each `image` field, each id of each `images` list (repeats included) and each `_entities` representation. More is refused with `OPERATION_TOO_LARGE`.',
  }),
  MAX_RESPONSE_BYTES: integer(65_536, 1024 * 1024 * 1024)({
    default: 8 * 1024 * 1024,
    desc: 'Most bytes of image data one response may carry (each image result counts its metadata and typed fields, repeats included). Image results past it fail with `OPERATION_TOO_LARGE`; the rest of the answer is sent.',
  }),
  OPERATION_DEADLINE_MS: integer(100, 600_000)({
    default: 10_000,
    desc: 'Longest a GraphQL operation waits for the upstream, retries included. Images not fetched by then fail with `UPSTREAM_TIMEOUT`; the rest of the answer is sent.',
  }),
  UPSTREAM_CONCURRENCY_PER_OPERATION: integer(1, 1000)({
    default: 10,
    desc: 'Most upstream calls one GraphQL operation may have in flight at once; the rest of its images wait their turn.',
  }),
  MAX_DEPTH: integer(1, 1000)({ default: 10, desc: 'Deepest selection nesting an operation may have (GraphQL Armor).' }),
  MAX_ALIASES: integer(0, 10_000)({ default: 20, desc: 'Most aliases in one operation (GraphQL Armor): each `images` alias may cost up to IMAGES_MAX_IDS calls.' }),
  MAX_TOKENS: integer(10, 1_000_000)({ default: 2000, desc: 'Most lexical tokens in one operation document (GraphQL Armor).' }),
  MAX_COST: integer(1, 10_000_000)({ default: 5000, desc: 'Highest estimated cost of one operation (GraphQL Armor: 2 per object, 1 per scalar, deeper levels cost more).' }),
  MAX_DIRECTIVES: integer(0, 1000)({ default: 20, desc: 'Most directives in one operation (GraphQL Armor).' }),
};

export const LIMIT_RULES: Array<Rule<typeof LIMIT_SETTINGS>> = [
  ({ IMAGES_MAX_IDS: ids, MAX_IMAGES_PER_OPERATION: images }) =>
    ids !== undefined && images !== undefined && ids > images
      ? { variable: 'IMAGES_MAX_IDS', message: 'must not be more than MAX_IMAGES_PER_OPERATION (one full images field must fit in an operation)' }
      : undefined,
];

export function readLimits(env: Values<typeof LIMIT_SETTINGS>) {
  return {
    /** Most ids one `images` field accepts. */
    imagesMaxIds: env.IMAGES_MAX_IDS,
    /** Most image results one operation may produce (checked before execution). */
    maxImages: env.MAX_IMAGES_PER_OPERATION,
    /** Most bytes of image data one response may carry (charged as image results resolve). */
    maxResponseBytes: env.MAX_RESPONSE_BYTES,
    deadlineMs: env.OPERATION_DEADLINE_MS,
    /** Most upstream calls one operation has in flight. */
    concurrency: env.UPSTREAM_CONCURRENCY_PER_OPERATION,
    // GraphQL Armor's limits on one operation document.
    maxDepth: env.MAX_DEPTH,
    maxAliases: env.MAX_ALIASES,
    maxTokens: env.MAX_TOKENS,
    maxCost: env.MAX_COST,
    maxDirectives: env.MAX_DIRECTIVES,
  };
}

/** What one GraphQL operation may be and ask of the upstream. */
export type LimitsConfig = ReturnType<typeof readLimits>;
