import { text } from './parse.js';

/**
 * The closed vocabularies of image metadata, each read into an enum. Matching ignores letter case,
 * spaces and punctuation, so `Red Hat`, `RedHat` and `redhat` are the same value. A value outside the
 * vocabulary reads as `UNRECOGNIZED` (never an error, the raw string stays in `metadata`); an absent or
 * blank value reads as null.
 */
export interface EnumValue {
  readonly description: string;
  /** The spellings this value stands for, as the documentation writes them. */
  readonly spellings: readonly string[];
}

export const UNRECOGNIZED = 'UNRECOGNIZED';

export interface Vocabulary<V extends string> {
  readonly name: string;
  readonly description: string;
  readonly values: Readonly<Record<V | typeof UNRECOGNIZED, EnumValue>>;
  parse(raw: string | undefined): V | typeof UNRECOGNIZED | null;
}

function normalise(spelling: string): string {
  return spelling.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function vocabulary<V extends string>(name: string, description: string, values: Record<V, EnumValue>): Vocabulary<V> {
  const bySpelling = new Map<string, V>();
  for (const [value, { spellings }] of Object.entries(values) as [V, EnumValue][]) {
    for (const spelling of spellings) bySpelling.set(normalise(spelling), value);
  }
  return {
    name,
    description,
    values: {
      ...values,
      [UNRECOGNIZED]: {
        description: 'The upstream sent a value outside the documented vocabulary; read the raw string from `metadata`.',
        spellings: [],
      },
    },
    parse(raw) {
      const value = text(raw);
      if (value === null) return null;
      return bySpelling.get(normalise(value)) ?? UNRECOGNIZED;
    },
  };
}

const one = (description: string, ...spellings: string[]): EnumValue => ({ description, spellings });

export const platforms = vocabulary('Platform', 'The OS distribution (metadata key `__platform`).', {
  WINDOWS: one('Windows.', 'Windows'),
  UBUNTU: one('Ubuntu.', 'Ubuntu'),
  REDHAT: one('Red Hat Enterprise Linux (spelled `RedHat` or `Red Hat`).', 'RedHat', 'Red Hat'),
  SUSE: one('SUSE Linux Enterprise (spelled `SUSE` or `Suse`).', 'SUSE'),
  CENTOS: one('CentOS.', 'CentOS'),
  DEBIAN: one('Debian.', 'Debian'),
  OPENSUSE: one('openSUSE.', 'OpenSUSE'),
  ORACLE_LINUX: one('Oracle Linux.', 'Oracle Linux'),
  FEDORA: one('Fedora.', 'Fedora'),
  COREOS: one('CoreOS.', 'CoreOS'),
  EULEROS: one('EulerOS.', 'EulerOS'),
  HUAWEI_CLOUD_EULEROS: one('Huawei Cloud EulerOS.', 'Huawei Cloud EulerOS'),
  OTHER: one('The upstream says `Other`.', 'Other'),
});

// The documented example sends `__os_type: "Suse"`: a distribution where the OS family belongs. Every
// Linux distribution of the platform vocabulary therefore reads as LINUX.
const linuxDistributions = Object.entries(platforms.values)
  .filter(([value]) => !['WINDOWS', 'OTHER', UNRECOGNIZED].includes(value))
  .flatMap(([, { spellings }]) => spellings);

export const osTypes = vocabulary('OsType', 'The OS family (metadata key `__os_type`).', {
  LINUX: one('Linux; also any Linux distribution name sent in its place (the documented example sends `Suse`).', 'Linux', ...linuxDistributions),
  WINDOWS: one('Windows.', 'Windows'),
  OTHER: one('The upstream says `Other`.', 'Other'),
});

export const imageTypes = vocabulary('ImageType', 'Who provides the image (metadata key `__imagetype`).', {
  GOLD: one('A public image provided by Huawei Cloud (`gold`).', 'gold'),
  PRIVATE: one('A private image of this account (`private`).', 'private'),
  SHARED: one('An image another account shared with this one (`shared`).', 'shared'),
  MARKET: one('A KooGallery (Marketplace) image (`market`).', 'market'),
});

export const imageSourceTypes = vocabulary('ImageSourceType', 'The storage backend of the image file (metadata key `__image_source_type`).', {
  UDS: one('UDS storage (`uds`).', 'uds'),
  SWIFT: one('Swift storage (`swift`).', 'swift'),
  OBS: one('Object Storage Service (`obs`).', 'obs'),
});

export const gpuTypes = vocabulary('GpuType', 'A GPU model the image supports (metadata keys `__support_xen_gpu_type`, `__support_kvm_gpu_type`).', {
  M60_VGPU: one('NVIDIA M60 vGPU (`M60_vGPU`).', 'M60_vGPU'),
  V100: one('NVIDIA V100 (`V100`).', 'V100'),
  P100: one('NVIDIA P100 (`P100`).', 'P100'),
  V100_VGPU: one('NVIDIA V100 vGPU (`V100_vGPU`).', 'V100_vGPU'),
  P2V_V100: one('NVIDIA V100, P2V flavor family (`P2V_V100`).', 'P2V_V100'),
  RTX5000: one('NVIDIA Quadro RTX 5000 (`RTX5000`).', 'RTX5000'),
});

export const virtualEnvTypes = vocabulary('VirtualEnvType', 'What the image boots on (metadata key `virtual_env_type`).', {
  FUSION_COMPUTE: one('A virtual machine (`FusionCompute`).', 'FusionCompute'),
  IRONIC: one('A bare metal server (`Ironic`).', 'Ironic'),
  DATA_IMAGE: one('A data disk image (`DataImage`).', 'DataImage'),
  ISO_IMAGE: one('An ISO image (`IsoImage`).', 'IsoImage'),
});

export const firmwareTypes = vocabulary('FirmwareType', 'The boot firmware (metadata key `hw_firmware_type`).', {
  BIOS: one('Legacy BIOS boot (`bios`).', 'bios'),
  UEFI: one('UEFI boot (`uefi`).', 'uefi'),
});
