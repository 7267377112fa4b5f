import { ImageMetadata, type MetadataEntry } from '../images/image-metadata.js';

/**
 * The members of an IMS `ImageInfo` that the ECS metadata map also carries (docs/ims-api.md): the `__*`
 * system attributes, `virtual_env_type` and the `hw_*` members. The other members (`id`, `name`, `status`,
 * `min_disk`, `tags`, ...) describe the image in IMS's own terms and have no ECS metadata key. User-defined
 * ECS metadata keys have no IMS member at all: IMS keeps tags, not free-form metadata.
 */
export function isMetadataMember(name: string): boolean {
  return name.startsWith('__') || name.startsWith('hw_') || name === 'virtual_env_type';
}

/**
 * The same metadata entries the ECS endpoint gives for the image, in the order IMS sends its members: each
 * metadata member as a string, booleans as `"true"`/`"false"` and numbers in decimal (IMS's model types a few of
 * them, e.g. `__system_support_market`); a member that is null is absent, as ECS leaves a false flag out.
 */
export function metadataFromImageInfo(image: Readonly<Record<string, unknown>>): ImageMetadata {
  const entries: MetadataEntry[] = [];
  for (const [key, value] of Object.entries(image)) {
    if (!isMetadataMember(key) || value === null || value === undefined) continue;
    entries.push({ key, value: typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) });
  }
  return new ImageMetadata(entries);
}
