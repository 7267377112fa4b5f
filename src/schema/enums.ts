import type { Vocabulary } from '../attributes/vocabularies.js';
import * as vocabularies from '../attributes/vocabularies.js';
import { builder } from './builder.js';

function enumFrom<V extends string>(vocabulary: Vocabulary<V>) {
  return builder.enumType(vocabulary.name, {
    description: `${vocabulary.description} Matching ignores letter case, spaces and punctuation; any other value reads as UNRECOGNIZED.`,
    values: Object.fromEntries(
      Object.entries(vocabulary.values).map(([value, { description }]) => [value, { value, description }]),
    ) as Record<V | typeof vocabularies.UNRECOGNIZED, { value: V | typeof vocabularies.UNRECOGNIZED; description: string }>,
  });
}

export const OsType = enumFrom(vocabularies.osTypes);
export const Platform = enumFrom(vocabularies.platforms);
export const ImageType = enumFrom(vocabularies.imageTypes);
export const ImageSourceType = enumFrom(vocabularies.imageSourceTypes);
export const GpuType = enumFrom(vocabularies.gpuTypes);
export const VirtualEnvType = enumFrom(vocabularies.virtualEnvTypes);
export const FirmwareType = enumFrom(vocabularies.firmwareTypes);
