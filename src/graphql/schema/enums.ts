import type { Vocabulary } from '../../images/attributes/vocabularies.js';
import * as vocabularies from '../../images/attributes/vocabularies.js';
import type { Builder } from './builder.js';

/** One enum per closed vocabulary of image metadata. */
export function defineEnums(builder: Builder) {
  const enumFrom = <V extends string>(vocabulary: Vocabulary<V>) =>
    builder.enumType(vocabulary.name, {
      description: `${vocabulary.description} Matching ignores letter case, spaces and punctuation; any other value reads as UNRECOGNIZED.`,
      values: Object.fromEntries(
        Object.entries(vocabulary.values).map(([value, { description }]) => [value, { value, description }]),
      ) as Record<V | typeof vocabularies.UNRECOGNIZED, { value: V | typeof vocabularies.UNRECOGNIZED; description: string }>,
    });
  return {
    OsType: enumFrom(vocabularies.osTypes),
    Platform: enumFrom(vocabularies.platforms),
    ImageType: enumFrom(vocabularies.imageTypes),
    ImageSourceType: enumFrom(vocabularies.imageSourceTypes),
    GpuType: enumFrom(vocabularies.gpuTypes),
    VirtualEnvType: enumFrom(vocabularies.virtualEnvTypes),
    FirmwareType: enumFrom(vocabularies.firmwareTypes),
  };
}

export type Enums = ReturnType<typeof defineEnums>;
