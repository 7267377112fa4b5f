import type { SampleImage } from './samples.js';

/**
 * The sandbox's IMS: the `ImageInfo` of a sample image as `GET /v2/cloudimages?id=` answers it
 * (docs/ims-api.md), consistent with the sandbox's ECS answer for the same image. Written apart from the
 * service's own mapping (src/ims/image-info.ts), so that a test comparing the two backends compares two
 * readings of the contract, not one function with itself.
 */
export function imageInfo(image: SampleImage): Record<string, unknown> {
  const metadata = new Map(image.metadata);
  const info: Record<string, unknown> = {
    id: image.imageId,
    name: metadata.get('__image_displayname') ?? `image-${image.imageId.slice(0, 8)}`,
    status: 'active',
    visibility: metadata.get('__imagetype') === 'gold' ? 'public' : 'private',
    owner: image.projectId,
    protected: metadata.get('__imagetype') === 'gold',
    container_format: 'bare',
    disk_format: 'zvhd2',
    min_disk: 40,
    min_ram: 0,
    max_ram: '',
    created_at: '2018-09-06T14:03:27Z',
    updated_at: '2018-09-06T15:14:08Z',
    self: `/v2/images/${image.imageId}`,
    file: `/v2/images/${image.imageId}/file`,
    schema: '/v2/schemas/image',
    tags: [],
    size: 0,
    virtual_size: null,
  };
  // The system attributes, virtual_env_type and hw_* are top-level members; user-defined keys have none.
  for (const [key, value] of image.metadata) {
    if (!key.startsWith('__') && !key.startsWith('hw_') && key !== 'virtual_env_type') continue;
    // IMS's model types this one as a JSON boolean.
    info[key] = key === '__system_support_market' && (value === 'true' || value === 'false') ? value === 'true' : value;
  }
  return info;
}

export const IMS_PATH = '/v2/cloudimages';
