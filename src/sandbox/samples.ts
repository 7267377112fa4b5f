/**
 * The sandbox's images. Metadata is a list of pairs, not an object, so that the sandbox can send keys in
 * any order (integer-like keys included) and the tests can prove the order survives.
 */
export type SampleMetadata = ReadonlyArray<readonly [key: string, value: string]>;

export interface SampleImage {
  readonly projectId: string;
  readonly imageId: string;
  readonly metadata: SampleMetadata;
}

/** The project of Huawei's documented example; every sample but one lives here. */
export const SAMPLE_PROJECT_ID = '9c53a566cb3443ab910cf0daebca90c4';

/** The documented example, exactly as the original page shows it (docs/legacy-api.md §1). */
export const DOCUMENTED_IMAGE: SampleImage = {
  projectId: SAMPLE_PROJECT_ID,
  imageId: '17a1890b-0fa4-485e-8505-14e294017988',
  metadata: [
    ['__os_version', 'Suse Linux Enterprise 12.2 64bit'],
    ['__image_source_type', 'uds'],
    ['__imagetype', 'gold'],
    ['__os_bit', '64'],
    ['__os_type', 'Suse'],
    ['__isregistered', 'true'],
    ['__image_location', '192.168.80.11:5080:pcsimsbeta:suse12.2-addx710-05-11'],
    ['virtual_env_type', 'Ironic'],
    ['__platform', 'Suse'],
    ['__support_o3s', 'true'],
  ],
};

export const SAMPLE_IMAGES: readonly SampleImage[] = [
  DOCUMENTED_IMAGE,
  {
    // A public Windows image: a size above 2^31, mixed-case boolean, agent list, feature list.
    projectId: SAMPLE_PROJECT_ID,
    imageId: '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b',
    metadata: [
      ['__os_type', 'Windows'],
      ['__platform', 'Windows'],
      ['__os_bit', '64'],
      ['__os_version', 'Windows Server 2019 Datacenter 64bit English'],
      ['__imagetype', 'gold'],
      ['__isregistered', 'true'],
      ['__image_source_type', 'uds'],
      ['__image_size', '42949672960'],
      ['__description', 'Windows Server 2019 Datacenter, English, with the latest patches.'],
      ['__support_kvm', 'true'],
      ['__support_largememory', 'true'],
      ['__support_agent_list', 'hss,ces'],
      ['__os_feature_list', '["onekey_resetpasswd"]'],
      ['__lazyloading', 'True'],
      ['__is_config_init', 'true'],
      ['__sequence_num', '0'],
      ['__support_amd', 'false'],
      ['__support_arm', 'false'],
      ['virtual_env_type', 'FusionCompute'],
      ['hw_firmware_type', 'bios'],
      ['hw_vif_multiqueue_enabled', 'true'],
    ],
  },
  {
    // A private Ubuntu image made from a server, with user-defined keys (one integer-like, sent last).
    projectId: SAMPLE_PROJECT_ID,
    imageId: 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f',
    metadata: [
      ['__os_type', 'Linux'],
      ['__platform', 'Ubuntu'],
      ['__os_bit', '64'],
      ['__os_version', 'Ubuntu 22.04 server 64bit'],
      ['__imagetype', 'private'],
      ['__isregistered', 'true'],
      ['__image_source_type', 'obs'],
      ['__image_size', '2147483648'],
      ['__originalimagename', '0b3a5e6f-2c1d-4e7f-8a9b-6c5d4e3f2a1b'],
      ['__data_origin', 'instance,8c6e2b4a-1f3d-4a5b-9c7e-2d4f6a8b0c1e'],
      ['__backup_id', ''],
      ['__whole_image', 'false'],
      ['__support_kvm', 'true'],
      ['__support_arm', 'true'],
      ['__system__cmkid', '6d1f0b2e-7a3c-4e5d-9b8a-1c2e3f4a5b6c'],
      ['hw_firmware_type', 'uefi'],
      ['virtual_env_type', 'FusionCompute'],
      ['team', 'payments'],
      ['cost-center', 'CC-1042'],
      ['1', 'an integer-like user key, sent last'],
    ],
  },
  {
    // A KooGallery (Marketplace) GPU image, with the `Red Hat` spelling.
    projectId: SAMPLE_PROJECT_ID,
    imageId: 'c4d8e2f6-9a1b-4c3d-8e5f-7a9b1c3d5e7f',
    metadata: [
      ['__os_type', 'Linux'],
      ['__platform', 'Red Hat'],
      ['__os_bit', '64'],
      ['__os_version', 'Red Hat Enterprise Linux 8.4 64bit'],
      ['__imagetype', 'market'],
      ['__isregistered', 'true'],
      ['__image_source_type', 'uds'],
      ['__productcode', 'OFFI454488918838128640'],
      ['__account_code', 'ACCT-7781'],
      ['__system_support_market', 'true'],
      ['__is_offshelved', 'false'],
      ['__image_displayname', 'RHEL 8.4 with CUDA 11'],
      ['__support_kvm', 'true'],
      ['__support_kvm_gpu_type', 'V100'],
      ['__support_xen_gpu_type', 'M60_vGPU'],
      ['__support_highperformance', 'true'],
      ['__support_fc_inject', 'true'],
      ['virtual_env_type', 'FusionCompute'],
    ],
  },
  {
    // Values outside the documentation, to see the tolerant parsing: every typed field null or UNRECOGNIZED.
    projectId: SAMPLE_PROJECT_ID,
    imageId: 'e9f1a3b5-c7d9-4e1f-a3b5-c7d9e1f3a5b7',
    metadata: [
      ['__os_type', 'Plan 9'],
      ['__platform', 'Haiku'],
      ['__os_bit', 'sixty-four'],
      ['__imagetype', 'borrowed'],
      ['__isregistered', 'yes'],
      ['__image_size', '-1'],
      ['__os_feature_list', 'not json'],
      ['__support_kvm', 'maybe'],
      ['__support_kvm_gpu_type', 'H100'],
      ['virtual_env_type', 'Hyper-V'],
      ['hw_firmware_type', 'coreboot'],
    ],
  },
  {
    // The one sample in another project: a minimal data disk image.
    projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    imageId: '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716',
    metadata: [
      ['__imagetype', 'private'],
      ['__image_source_type', 'obs'],
      ['__image_size', '10737418240'],
      ['virtual_env_type', 'DataImage'],
    ],
  },
];
