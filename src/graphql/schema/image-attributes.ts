import * as parse from '../../images/attributes/parse.js';
import * as vocabularies from '../../images/attributes/vocabularies.js';
import type { ImageRecord } from '../../images/image-loader.js';
import type { Builder } from './builder.js';
import type { Enums } from './enums.js';
import type { defineImage } from './image.js';
import type { defineScalars } from './scalars.js';

/**
 * The typed reading of each documented metadata key (docs/legacy-api.md §5). Every field reads one key with a
 * tolerant parser: absent, empty or blank reads as null, a value that does not parse reads as null (or
 * UNRECOGNIZED for an enum), and no value ever fails the query; the raw string stays in `metadata`.
 *
 * Fields from `__` keys are deprecated, each naming its key and where IMS, the replacement API, keeps it.
 */

const NULL_RULE = 'Null when absent or unparseable.';
const BOOLEAN_RULE = '`true`/`false` in any letter case; null when absent or anything else.';
const FLAG_RULE = 'Sent only when true: absent or empty reads as false; `true`/`false` in any letter case; null for anything else.';

/** The resolver and documentation shared by every field that reads metadata key `key`. */
function fromKey<T>(key: string, meaning: string, rule: string, read: (raw: string | undefined) => T) {
  return {
    nullable: true as const,
    description: `${meaning} Metadata key \`${key}\`. ${rule}`,
    resolve: (image: ImageRecord) => read(image.metadata.get(key)),
    ...(key.startsWith('__') ? { deprecationReason: deprecationReason(key) } : {}),
  };
}

export function deprecationReason(key: string): string {
  return (
    `Legacy key \`${key}\` of the deprecated ECS image metadata API. ` +
    `Migrate to IMS GET /v2/cloudimages?id={image_id}: read the top-level \`${key}\` member of the image.`
  );
}

export function defineImageAttributes(
  builder: Builder,
  { Image }: ReturnType<typeof defineImage>,
  { FirmwareType, GpuType, ImageSourceType, ImageType, OsType, Platform, VirtualEnvType }: Enums,
  { UInt64 }: ReturnType<typeof defineScalars>,
) {
  builder.objectFields(Image, (t) => ({
    osType: t.field({ type: OsType, ...fromKey('__os_type', 'The OS family.', 'A Linux distribution name (`Suse`) reads as LINUX.', vocabularies.osTypes.parse) }),
    osBit: t.int(fromKey('__os_bit', 'The OS word size in bits: 32 or 64.', NULL_RULE, parse.int)),
    platform: t.field({ type: Platform, ...fromKey('__platform', 'The OS distribution.', 'Both `Red Hat` and `RedHat` read as REDHAT.', vocabularies.platforms.parse) }),
    osVersion: t.string(fromKey('__os_version', 'The OS version as free text, e.g. `CentOS 7.3 64bit`.', NULL_RULE, parse.text)),
    imageType: t.field({ type: ImageType, ...fromKey('__imagetype', 'Who provides the image.', NULL_RULE, vocabularies.imageTypes.parse) }),
    isRegistered: t.boolean(fromKey('__isregistered', 'Whether the image is registered.', BOOLEAN_RULE, parse.boolean)),
    imageSourceType: t.field({ type: ImageSourceType, ...fromKey('__image_source_type', 'The storage backend of the image file.', NULL_RULE, vocabularies.imageSourceTypes.parse) }),
    imageLocation: t.string(fromKey('__image_location', 'Where the image file is stored.', NULL_RULE, parse.text)),
    imageSize: t.field({ type: UInt64, ...fromKey('__image_size', 'The size of the image file in bytes.', 'Null when absent, negative, fractional or above 2^64 - 1.', parse.uint64) }),
    description: t.string(fromKey('__description', 'The image description (up to 1024 characters).', NULL_RULE, parse.text)),
    originalImageName: t.id(fromKey('__originalimagename', 'The id of the image this one was made from (despite the key name, an id).', NULL_RULE, parse.text)),
    backupId: t.id(fromKey('__backup_id', 'The id of the backup the image was made from.', NULL_RULE, parse.text)),
    dataOrigin: t.string(fromKey('__data_origin', 'Where the image came from, e.g. `instance,<server id>`; empty for public images.', NULL_RULE, parse.text)),
    productCode: t.string(fromKey('__productcode', 'The KooGallery (Marketplace) product id.', NULL_RULE, parse.text)),
    isConfigInit: t.boolean(fromKey('__is_config_init', 'Whether initial configuration is done.', BOOLEAN_RULE, parse.boolean)),
    lazyLoading: t.boolean(fromKey('__lazyloading', 'Whether lazy loading is supported.', BOOLEAN_RULE, parse.boolean)),
    rootOrigin: t.string(fromKey('__root_origin', 'Set to `file` when the image was imported from an image file.', NULL_RULE, parse.text)),
    sequenceNum: t.int(fromKey('__sequence_num', 'The system disk slot, e.g. 0.', NULL_RULE, parse.int)),
    osFeatureList: t.stringList(fromKey('__os_feature_list', 'Advanced OS features, sent as a JSON-encoded list; an item that is not a string is given as its JSON text.', 'Null when absent, not JSON or not a list.', parse.jsonList)),
    supportKvm: t.boolean(fromKey('__support_kvm', 'Whether the image runs on KVM.', FLAG_RULE, parse.flag)),
    supportXen: t.boolean(fromKey('__support_xen', 'Whether the image runs on Xen.', FLAG_RULE, parse.flag)),
    supportLargeMemory: t.boolean(fromKey('__support_largememory', 'Whether the image supports large-memory flavors.', FLAG_RULE, parse.flag)),
    supportDiskIntensive: t.boolean(fromKey('__support_diskintensive', 'Whether the image supports disk-intensive flavors.', FLAG_RULE, parse.flag)),
    supportHighPerformance: t.boolean(fromKey('__support_highperformance', 'Whether the image supports high-performance flavors.', FLAG_RULE, parse.flag)),
    supportXenHana: t.boolean(fromKey('__support_xen_hana', 'Whether the image supports SAP HANA on Xen.', FLAG_RULE, parse.flag)),
    supportKvmInfiniband: t.boolean(fromKey('__support_kvm_infiniband', 'Whether the image supports InfiniBand NICs on KVM.', FLAG_RULE, parse.flag)),
    supportKvmHi1822Hisriov: t.boolean(fromKey('__support_kvm_hi1822_hisriov', 'Whether the image supports Hi1822 SR-IOV NICs on KVM.', FLAG_RULE, parse.flag)),
    supportKvmHi1822Hivirtionet: t.boolean(fromKey('__support_kvm_hi1822_hivirtionet', 'Whether the image supports Hi1822 VirtIO NICs on KVM.', FLAG_RULE, parse.flag)),
    supportO3s: t.boolean(fromKey('__support_o3s', 'Whether the image supports O3s.', FLAG_RULE, parse.flag)),
    supportArm: t.boolean(fromKey('__support_arm', 'Whether the image is for Arm CPUs.', BOOLEAN_RULE, parse.boolean)),
    supportAmd: t.boolean(fromKey('__support_amd', 'Whether the image is for AMD CPUs.', BOOLEAN_RULE, parse.boolean)),
    supportFcInject: t.boolean(fromKey('__support_fc_inject', 'Careful: true means password and key injection are NOT supported.', FLAG_RULE, parse.flag)),
    supportXenGpuType: t.field({ type: GpuType, ...fromKey('__support_xen_gpu_type', 'The GPU model supported on Xen.', NULL_RULE, vocabularies.gpuTypes.parse) }),
    supportKvmGpuType: t.field({ type: GpuType, ...fromKey('__support_kvm_gpu_type', 'The GPU model supported on KVM.', NULL_RULE, vocabularies.gpuTypes.parse) }),
    supportAgentList: t.stringList(fromKey('__support_agent_list', 'The agents preinstalled, e.g. `["hss", "ces"]`; sent comma-separated.', 'Items are trimmed and empty items dropped; null when absent.', parse.commaList)),
    systemCmkId: t.id(fromKey('__system__cmkid', 'The id of the KMS key that encrypts the image.', NULL_RULE, parse.text)),
    systemSupportMarket: t.boolean(fromKey('__system_support_market', 'Whether the image may be sold on KooGallery (Marketplace).', BOOLEAN_RULE, parse.boolean)),
    accountCode: t.string(fromKey('__account_code', 'The charging identifier.', NULL_RULE, parse.text)),
    isOffshelved: t.boolean(fromKey('__is_offshelved', 'Whether the KooGallery (Marketplace) image has been withdrawn.', BOOLEAN_RULE, parse.boolean)),
    imageDisplayName: t.string(fromKey('__image_displayname', 'The display name.', NULL_RULE, parse.text)),
    wholeImage: t.boolean(fromKey('__whole_image', 'Whether this is a full-server image (system and data disks).', BOOLEAN_RULE, parse.boolean)),
    virtualEnvType: t.field({ type: VirtualEnvType, ...fromKey('virtual_env_type', 'What the image boots on.', NULL_RULE, vocabularies.virtualEnvTypes.parse) }),
    hwFirmwareType: t.field({ type: FirmwareType, ...fromKey('hw_firmware_type', 'The boot firmware.', NULL_RULE, vocabularies.firmwareTypes.parse) }),
    hwVifMultiqueueEnabled: t.boolean(fromKey('hw_vif_multiqueue_enabled', 'Whether NIC multi-queue is enabled.', BOOLEAN_RULE, parse.boolean)),
  }));
}
