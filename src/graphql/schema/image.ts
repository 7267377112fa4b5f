import { responsePathAsArray } from 'graphql';
import { badUserInput, toGraphQLError } from '../errors.js';
import type { ImageRecord } from '../../images/image-loader.js';
import { parseImageId, parseImageRef, parseProjectId, type ImageRef } from '../../images/image-ref.js';
import type { Builder } from './builder.js';
import { UPSTREAM_CALL_COST } from './demand-control.js';
import { imageResult } from './image-results.js';

export interface ImageSchemaOptions {
  /** Most ids one `images` field accepts: also the list size a gateway's demand control assumes. */
  readonly imagesMaxIds: number;
}

/** `Image` and `MetadataEntry`, the federation entity, and the `image` and `images` queries. */
export function defineImage(builder: Builder, options: ImageSchemaOptions) {
  const MetadataEntry = builder.objectRef<{ key: string; value: string }>('MetadataEntry').implement({
    description: 'One metadata pair exactly as the upstream API sent it.',
    fields: (t) => ({
      key: t.exposeString('key', { description: 'The key, e.g. `__os_type`, or a user-defined key.' }),
      value: t.exposeString('value', { description: 'The value, always a string on the wire, unparsed.' }),
    }),
  });

  // The typed attribute fields are added to this type in `image-attributes.ts`.
  const Image = builder.objectRef<ImageRecord>('Image').implement({
    description:
      'An image and its metadata, read from Huawei Cloud: the deprecated ECS image metadata API (`GET /v2.1/{project_id}/images/{image_id}/metadata`) ' +
      'or IMS, which replaces it (`GET /v2/cloudimages`), as the deployment chooses; the answer is the same. `metadata` holds every pair as sent; the typed fields read the documented keys.',
    fields: (t) => ({
      projectId: t.exposeID('projectId', { description: 'The project (tenant) the image was looked up in: 32 lower-case hexadecimal characters.' }),
      id: t.exposeID('imageId', { description: 'The image id: a lower-case UUID.' }),
      metadata: t.field({
        type: [MetadataEntry],
        description:
          'Every metadata pair exactly as the upstream sent it, in its order: system keys (`__…`), user-defined keys and repeated keys included. Nothing is parsed or dropped.',
        resolve: (image) => image.metadata.entries,
      }),
    }),
  });

  // A federation entity: other subgraphs reference an image by `{ projectId id }`, and the gateway fetches
  // it here through the same per-request loader, so N references cost one call per distinct image.
  builder.asEntity(Image, {
    key: builder.selection<{ projectId: string; id: string }>('projectId id'),
    // async, so that a bad reference rejects its own entity; a synchronous throw would fail all of `_entities`.
    resolveReference: async (reference, ctx, info) => imageResult(ctx.images.load(orBadInput(() => parseImageRef(reference.projectId, reference.id))), ctx, info),
  });

  const projectIdDescription = 'The project id: 32 hexadecimal characters, e.g. `9c53a566cb3443ab910cf0daebca90c4`.';

  builder.queryType({ description: 'Image metadata from Huawei Cloud: the deprecated ECS image metadata API, or IMS, which replaces it.' });

  builder.queryFields((t) => ({
    image: t.field({
      type: Image,
      nullable: true,
      description: 'One image; null when it does not exist. An invalid id is a `BAD_USER_INPUT` error and makes no upstream call.',
      args: {
        projectId: t.arg.id({ required: true, description: projectIdDescription }),
        id: t.arg.id({ required: true, description: 'The image id: a UUID, e.g. `17a1890b-0fa4-485e-8505-14e294017988`.' }),
      },
      directives: { cost: { weight: UPSTREAM_CALL_COST } },
      resolve: (_root, args, ctx, info) => imageResult(ctx.images.load(orBadInput(() => parseImageRef(args.projectId, args.id))), ctx, info),
    }),
    images: t.field({
      type: [Image],
      nullable: { list: false, items: true },
      description:
        'Several images of one project, in the order of `ids`; null for each one that does not exist, and an error on the path of each one that failed. ' +
        `Repeated ids cost one upstream call. More than ${options.imagesMaxIds} ids is a \`BAD_USER_INPUT\` error, as is any invalid id; then no upstream call is made.`,
      args: {
        projectId: t.arg.id({ required: true, description: projectIdDescription }),
        ids: t.arg.idList({ required: true, description: 'The image ids (UUIDs).' }),
      },
      // An id list cannot be a slicing argument (those must be integers), so a gateway assumes the longest list.
      directives: { cost: { weight: UPSTREAM_CALL_COST }, listSize: { assumedSize: options.imagesMaxIds } },
      resolve: (_root, args, ctx, info) => {
        const max = ctx.limits.imagesMaxIds;
        if (args.ids.length > max) {
          throw badUserInput(`ids holds ${args.ids.length} ids; at most ${max} are allowed in one images field.`, 'ids');
        }
        const refs = orBadInput(() => {
          const projectId = parseProjectId(args.projectId);
          return args.ids.map((id, index): ImageRef => ({ projectId, imageId: parseImageId(id, 'ids', index) }));
        });
        const path = responsePathAsArray(info.path);
        return refs.map((ref, index) => imageResult(ctx.images.load(ref), ctx, info, [...path, index]));
      },
    }),
  }));

  return { Image, MetadataEntry };
}

function orBadInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw toGraphQLError(error);
  }
}
