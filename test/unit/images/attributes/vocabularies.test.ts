import { describe, expect, it } from 'vitest';
import { firmwareTypes, gpuTypes, imageSourceTypes, imageTypes, osTypes, platforms, virtualEnvTypes } from '../../../../src/images/attributes/vocabularies.js';

describe('vocabularies', () => {
  it.each([
    ['Linux', 'LINUX'],
    ['Windows', 'WINDOWS'],
    ['Other', 'OTHER'],
    ['Suse', 'LINUX'],
    ['Ubuntu', 'LINUX'],
    ['Red Hat', 'LINUX'],
    ['Huawei Cloud EulerOS', 'LINUX'],
    ['linux', 'LINUX'],
    ['Plan 9', 'UNRECOGNIZED'],
    ['', null],
    [undefined, null],
  ])('osType %j reads as %j', (raw, expected) => {
    expect(osTypes.parse(raw)).toBe(expected);
  });

  it.each([
    ['Windows', 'WINDOWS'],
    ['Ubuntu', 'UBUNTU'],
    ['RedHat', 'REDHAT'],
    ['Red Hat', 'REDHAT'],
    ['SUSE', 'SUSE'],
    ['Suse', 'SUSE'],
    ['CentOS', 'CENTOS'],
    ['Debian', 'DEBIAN'],
    ['OpenSUSE', 'OPENSUSE'],
    ['Oracle Linux', 'ORACLE_LINUX'],
    ['Fedora', 'FEDORA'],
    ['Other', 'OTHER'],
    ['CoreOS', 'COREOS'],
    ['EulerOS', 'EULEROS'],
    ['Huawei Cloud EulerOS', 'HUAWEI_CLOUD_EULEROS'],
    ['huawei-cloud-euleros', 'HUAWEI_CLOUD_EULEROS'],
    ['Haiku', 'UNRECOGNIZED'],
  ])('platform %j reads as %j', (raw, expected) => {
    expect(platforms.parse(raw)).toBe(expected);
  });

  it('reads the other closed vocabularies, with UNRECOGNIZED outside them', () => {
    expect(['gold', 'private', 'shared', 'market', 'GOLD', 'borrowed'].map(imageTypes.parse)).toEqual([
      'GOLD', 'PRIVATE', 'SHARED', 'MARKET', 'GOLD', 'UNRECOGNIZED',
    ]);
    expect(['uds', 'swift', 'obs', 'nfs'].map(imageSourceTypes.parse)).toEqual(['UDS', 'SWIFT', 'OBS', 'UNRECOGNIZED']);
    expect(['M60_vGPU', 'V100', 'P100', 'V100_vGPU', 'P2V_V100', 'RTX5000', 'H100'].map(gpuTypes.parse)).toEqual([
      'M60_VGPU', 'V100', 'P100', 'V100_VGPU', 'P2V_V100', 'RTX5000', 'UNRECOGNIZED',
    ]);
    expect(['FusionCompute', 'Ironic', 'DataImage', 'IsoImage', 'Hyper-V'].map(virtualEnvTypes.parse)).toEqual([
      'FUSION_COMPUTE', 'IRONIC', 'DATA_IMAGE', 'ISO_IMAGE', 'UNRECOGNIZED',
    ]);
    expect(['bios', 'uefi', 'UEFI', 'coreboot', ' '].map(firmwareTypes.parse)).toEqual(['BIOS', 'UEFI', 'UEFI', 'UNRECOGNIZED', null]);
  });
});
