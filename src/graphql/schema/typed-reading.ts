import { isObjectType, type GraphQLSchema } from 'graphql';
import type { ImageRecord } from '../../images/image-loader.js';
import type { TypedReading } from '../../images/shadow-backend.js';

/** The fields of `Image` that are not typed readings of metadata. */
const NOT_TYPED = new Set(['projectId', 'id', 'metadata']);

/**
 * Every typed field of `Image`, read from metadata by the schema's own resolvers: what a client would get.
 * Shadow mode compares two backends' answers with it, so a difference no client could see (`"True"` and
 * `"true"` both read as `true`) shows as a metadata difference only, and one it could, under the field's name.
 */
export function typedReading(schema: GraphQLSchema): TypedReading {
  const image = schema.getType('Image');
  if (!isObjectType(image)) throw new Error('the schema has no Image type');
  const fields = Object.values(image.getFields()).filter((field) => !NOT_TYPED.has(field.name) && field.args.length === 0 && field.resolve !== undefined);
  return (ref, metadata) => {
    const record: ImageRecord = { ...ref, metadata };
    // The typed fields read nothing but their record; no context or resolve info is needed.
    return Object.fromEntries(fields.map((field) => [field.name, field.resolve!(record, {}, undefined, undefined as never)]));
  };
}
