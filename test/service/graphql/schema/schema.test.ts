import { readFile } from 'node:fs/promises';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isSpecifiedScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../../../src/graphql/schema/index.js';
import { printSchemaFile, SCHEMA_FILE } from '../../../../src/graphql/schema/print.js';
import { startStack } from '../../../helpers/stack.js';

/** Every metadata key of the docs/legacy-api.md §5. */
const DOCUMENTED_KEYS = [
  '__os_type', '__os_bit', '__platform', '__os_version', '__imagetype', '__isregistered', '__image_source_type',
  '__image_location', '__image_size', '__description', '__originalimagename', '__backup_id', '__data_origin',
  '__productcode', '__is_config_init', '__lazyloading', '__root_origin', '__sequence_num', '__os_feature_list',
  '__support_kvm', '__support_xen', '__support_largememory', '__support_diskintensive', '__support_highperformance',
  '__support_xen_hana', '__support_kvm_infiniband', '__support_kvm_hi1822_hisriov', '__support_kvm_hi1822_hivirtionet',
  '__support_o3s', '__support_arm', '__support_amd', '__support_fc_inject', '__support_xen_gpu_type',
  '__support_kvm_gpu_type', '__support_agent_list', '__system__cmkid', '__system_support_market', '__account_code',
  '__is_offshelved', '__image_displayname', '__whole_image', 'virtual_env_type', 'hw_firmware_type',
  'hw_vif_multiqueue_enabled',
];

interface IntrospectedField {
  name: string;
  description: string | null;
  isDeprecated: boolean;
  deprecationReason: string | null;
}

async function introspectImageFields(): Promise<IntrospectedField[]> {
  const stack = await startStack();
  try {
    const { body } = await stack.query('{ __type(name: "Image") { fields(includeDeprecated: true) { name description isDeprecated deprecationReason } } }');
    expect(stack.upstreamPaths()).toEqual([]);
    return (body.data?.['__type'] as { fields: IntrospectedField[] }).fields;
  } finally {
    await stack.close();
  }
}

describe('schema.graphql', () => {
  it('is exactly what the code prints (run `npm run schema` after changing the schema)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(printSchemaFile());
  });
});

describe('deprecations, as introspection shows them', () => {
  it('has one typed field per documented key, and exactly the `__` ones are deprecated, each with a way out', async () => {
    const fields = await introspectImageFields();
    const keyOf = (field: IntrospectedField) => /Metadata key `([^`]+)`/.exec(field.description ?? '')?.[1];

    const typed = fields.filter((field) => keyOf(field) !== undefined);
    expect(typed.map(keyOf).sort()).toEqual([...DOCUMENTED_KEYS].sort());

    for (const field of fields) {
      const key = keyOf(field);
      const legacy = key?.startsWith('__') ?? false;
      expect({ field: field.name, isDeprecated: field.isDeprecated }).toEqual({ field: field.name, isDeprecated: legacy });
      if (legacy) {
        expect(field.deprecationReason).toBe(
          `Legacy key \`${key}\` of the deprecated ECS image metadata API. ` +
            `Migrate to IMS GET /v2/cloudimages?id={image_id}: read the top-level \`${key}\` member of the image.`,
        );
      } else {
        expect(field.deprecationReason).toBeNull();
      }
    }
    expect(fields.filter((field) => field.isDeprecated)).toHaveLength(41);
    expect(fields.filter((field) => !field.isDeprecated).map((field) => field.name).sort()).toEqual(
      ['hwFirmwareType', 'hwVifMultiqueueEnabled', 'id', 'metadata', 'projectId', 'virtualEnvType'],
    );
  });
});

describe('documentation', () => {
  it('describes every type, field, argument and enum value (federation\'s own `_`-prefixed parts aside)', () => {
    const missing: string[] = [];
    const federationOwn = (name: string) => name.startsWith('_') || name.startsWith('link__') || name.startsWith('federation__');
    for (const type of Object.values(createSchema().getTypeMap())) {
      if (federationOwn(type.name) || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields()).filter((field) => !federationOwn(field.name))) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
