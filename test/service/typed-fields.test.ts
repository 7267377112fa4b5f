import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleImage } from '../../src/sandbox/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';

const P = '0123456789abcdef0123456789abcdef';
const image = (imageId: string, metadata: SampleImage['metadata']): SampleImage => ({ projectId: P, imageId, metadata });

/** Every key of the docs/legacy-api.md §5 with a documented value. */
const DOCUMENTED = image('11111111-1111-4111-8111-111111111111', [
  ['__os_type', 'Windows'],
  ['__os_bit', '32'],
  ['__platform', 'Red Hat'],
  ['__os_version', 'CentOS 7.3 64bit'],
  ['__imagetype', 'shared'],
  ['__isregistered', 'false'],
  ['__image_source_type', 'swift'],
  ['__image_location', '192.168.80.11:5080:pcsimsbeta:centos'],
  ['__image_size', '18446744073709551615'],
  ['__description', 'A description.'],
  ['__originalimagename', '0b3a5e6f-2c1d-4e7f-8a9b-6c5d4e3f2a1b'],
  ['__backup_id', 'backup-42'],
  ['__data_origin', 'instance,8c6e2b4a-1f3d-4a5b-9c7e-2d4f6a8b0c1e'],
  ['__productcode', 'OFFI001'],
  ['__is_config_init', 'True'],
  ['__lazyloading', 'False'],
  ['__root_origin', 'file'],
  ['__sequence_num', '0'],
  ['__os_feature_list', '["onekey_resetpasswd", {"name": "x"}]'],
  ['__support_kvm', 'true'],
  ['__support_xen', 'true'],
  ['__support_largememory', 'true'],
  ['__support_diskintensive', 'true'],
  ['__support_highperformance', 'true'],
  ['__support_xen_hana', 'true'],
  ['__support_kvm_infiniband', 'true'],
  ['__support_kvm_hi1822_hisriov', 'true'],
  ['__support_kvm_hi1822_hivirtionet', 'true'],
  ['__support_o3s', 'true'],
  ['__support_arm', 'true'],
  ['__support_amd', 'false'],
  ['__support_fc_inject', 'true'],
  ['__support_xen_gpu_type', 'P2V_V100'],
  ['__support_kvm_gpu_type', 'RTX5000'],
  ['__support_agent_list', 'hss, ces'],
  ['__system__cmkid', 'kms-key-1'],
  ['__system_support_market', 'false'],
  ['__account_code', 'ACC-1'],
  ['__is_offshelved', 'true'],
  ['__image_displayname', 'Display name'],
  ['__whole_image', 'true'],
  ['virtual_env_type', 'IsoImage'],
  ['hw_firmware_type', 'uefi'],
  ['hw_vif_multiqueue_enabled', 'false'],
]);

/** Every key with a value outside its vocabulary or that does not parse. */
const UNPARSEABLE = image('22222222-2222-4222-8222-222222222222', [
  ['__os_type', 'BeOS'],
  ['__os_bit', '64bit'],
  ['__platform', 'Slackware'],
  ['__imagetype', 'public'],
  ['__isregistered', 'registered'],
  ['__image_source_type', 'tape'],
  ['__image_size', '1.5e9'],
  ['__is_config_init', '1'],
  ['__lazyloading', 'on'],
  ['__sequence_num', 'first'],
  ['__os_feature_list', '{"not": "a list"}'],
  ['__support_kvm', 'yes'],
  ['__support_arm', 'arm64'],
  ['__support_fc_inject', 'no'],
  ['__support_xen_gpu_type', 'A100'],
  ['__support_kvm_gpu_type', 'T4'],
  ['__system_support_market', 'n/a'],
  ['__is_offshelved', '?'],
  ['__whole_image', 'partly'],
  ['virtual_env_type', 'Docker'],
  ['hw_firmware_type', 'openfirmware'],
  ['hw_vif_multiqueue_enabled', 'enabled'],
]);

/** No keys at all: nullable fields null, capability flags false. */
const EMPTY = image('33333333-3333-4333-8333-333333333333', []);

const TYPED_FIELDS = `osType osBit platform osVersion imageType isRegistered imageSourceType imageLocation imageSize description
  originalImageName backupId dataOrigin productCode isConfigInit lazyLoading rootOrigin sequenceNum osFeatureList
  supportKvm supportXen supportLargeMemory supportDiskIntensive supportHighPerformance supportXenHana supportKvmInfiniband
  supportKvmHi1822Hisriov supportKvmHi1822Hivirtionet supportO3s supportArm supportAmd supportFcInject supportXenGpuType
  supportKvmGpuType supportAgentList systemCmkId systemSupportMarket accountCode isOffshelved imageDisplayName wholeImage
  virtualEnvType hwFirmwareType hwVifMultiqueueEnabled`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ images: [DOCUMENTED, UNPARSEABLE, EMPTY] });
});
afterAll(() => stack.close());

async function typedFields(imageId: string) {
  const { status, body } = await stack.query(`{ image(projectId: "${P}", id: "${imageId}") { ${TYPED_FIELDS} } }`);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return body.data?.['image'];
}

describe('typed fields', () => {
  it('read every documented value', async () => {
    expect(await typedFields(DOCUMENTED.imageId)).toEqual({
      osType: 'WINDOWS',
      osBit: 32,
      platform: 'REDHAT',
      osVersion: 'CentOS 7.3 64bit',
      imageType: 'SHARED',
      isRegistered: false,
      imageSourceType: 'SWIFT',
      imageLocation: '192.168.80.11:5080:pcsimsbeta:centos',
      imageSize: '18446744073709551615',
      description: 'A description.',
      originalImageName: '0b3a5e6f-2c1d-4e7f-8a9b-6c5d4e3f2a1b',
      backupId: 'backup-42',
      dataOrigin: 'instance,8c6e2b4a-1f3d-4a5b-9c7e-2d4f6a8b0c1e',
      productCode: 'OFFI001',
      isConfigInit: true,
      lazyLoading: false,
      rootOrigin: 'file',
      sequenceNum: 0,
      osFeatureList: ['onekey_resetpasswd', '{"name":"x"}'],
      supportKvm: true,
      supportXen: true,
      supportLargeMemory: true,
      supportDiskIntensive: true,
      supportHighPerformance: true,
      supportXenHana: true,
      supportKvmInfiniband: true,
      supportKvmHi1822Hisriov: true,
      supportKvmHi1822Hivirtionet: true,
      supportO3s: true,
      supportArm: true,
      supportAmd: false,
      supportFcInject: true,
      supportXenGpuType: 'P2V_V100',
      supportKvmGpuType: 'RTX5000',
      supportAgentList: ['hss', 'ces'],
      systemCmkId: 'kms-key-1',
      systemSupportMarket: false,
      accountCode: 'ACC-1',
      isOffshelved: true,
      imageDisplayName: 'Display name',
      wholeImage: true,
      virtualEnvType: 'ISO_IMAGE',
      hwFirmwareType: 'UEFI',
      hwVifMultiqueueEnabled: false,
    });
  });

  it('never fail on values outside the vocabulary or that do not parse', async () => {
    expect(await typedFields(UNPARSEABLE.imageId)).toMatchObject({
      osType: 'UNRECOGNIZED',
      osBit: null,
      platform: 'UNRECOGNIZED',
      imageType: 'UNRECOGNIZED',
      isRegistered: null,
      imageSourceType: 'UNRECOGNIZED',
      imageSize: null,
      isConfigInit: null,
      lazyLoading: null,
      sequenceNum: null,
      osFeatureList: null,
      supportKvm: null,
      supportArm: null,
      supportFcInject: null,
      supportXenGpuType: 'UNRECOGNIZED',
      supportKvmGpuType: 'UNRECOGNIZED',
      systemSupportMarket: null,
      isOffshelved: null,
      wholeImage: null,
      virtualEnvType: 'UNRECOGNIZED',
      hwFirmwareType: 'UNRECOGNIZED',
      hwVifMultiqueueEnabled: null,
    });
  });

  it('read absent keys as null, and absent capability flags as false', async () => {
    const fields = (await typedFields(EMPTY.imageId)) as Record<string, unknown>;
    const flags = [
      'supportKvm', 'supportXen', 'supportLargeMemory', 'supportDiskIntensive', 'supportHighPerformance', 'supportXenHana',
      'supportKvmInfiniband', 'supportKvmHi1822Hisriov', 'supportKvmHi1822Hivirtionet', 'supportO3s', 'supportFcInject',
    ];
    for (const [name, value] of Object.entries(fields)) expect([name, value]).toEqual([name, flags.includes(name) ? false : null]);
    expect(Object.keys(fields)).toHaveLength(44);
  });

  it('keep the raw strings in metadata whatever the typed reading', async () => {
    const { body } = await stack.query(`{ image(projectId: "${P}", id: "${UNPARSEABLE.imageId}") { metadata { key value } } }`);
    expect((body.data?.['image'] as { metadata: unknown[] }).metadata).toEqual(UNPARSEABLE.metadata.map(([key, value]) => ({ key, value })));
  });
});
