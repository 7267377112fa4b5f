import { createBuilder } from './builder.js';
import { defineEnums } from './enums.js';
import { defineImageAttributes } from './image-attributes.js';
import { defineImage, type ImageSchemaOptions } from './image.js';
import { defineScalars } from './scalars.js';

export type SchemaOptions = ImageSchemaOptions;

/** The settings `schema.graphql` is printed with: the defaults. */
export const DEFAULT_SCHEMA_OPTIONS: SchemaOptions = { imagesMaxIds: 100 };

const built = new Map<string, ReturnType<typeof build>>();

/**
 * The whole schema, as an Apollo Federation v2 subgraph (`_service`, `_entities`, `@link`, `@key`, and the
 * demand-control directives `@cost` and `@listSize`). It depends on the settings a gateway must see (the
 * longest `images` list), so it is built per configuration, once. Building it has no side effect;
 * `scripts/print-schema.ts` writes `schema.graphql`.
 */
export function createSchema(options: SchemaOptions = DEFAULT_SCHEMA_OPTIONS) {
  const key = JSON.stringify(options);
  let schema = built.get(key);
  if (!schema) {
    schema = build(options);
    built.set(key, schema);
  }
  return schema;
}

function build(options: SchemaOptions) {
  const builder = createBuilder();
  const scalars = defineScalars(builder);
  const enums = defineEnums(builder);
  const image = defineImage(builder, options);
  defineImageAttributes(builder, image, enums, scalars);
  return builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.9',
    federationDirectives: ['@key', '@cost', '@listSize'],
  });
}
