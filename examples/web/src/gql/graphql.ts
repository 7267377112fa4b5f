/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** The OS family (metadata key `__os_type`). Matching ignores letter case, spaces and punctuation; any other value reads as UNRECOGNIZED. */
export type OsType =
  /** Linux; also any Linux distribution name sent in its place (the documented example sends `Suse`). */
  | 'LINUX'
  /** The upstream says `Other`. */
  | 'OTHER'
  /** The upstream sent a value outside the documented vocabulary; read the raw string from `metadata`. */
  | 'UNRECOGNIZED'
  /** Windows. */
  | 'WINDOWS';

/** The OS distribution (metadata key `__platform`). Matching ignores letter case, spaces and punctuation; any other value reads as UNRECOGNIZED. */
export type Platform =
  /** CentOS. */
  | 'CENTOS'
  /** CoreOS. */
  | 'COREOS'
  /** Debian. */
  | 'DEBIAN'
  /** EulerOS. */
  | 'EULEROS'
  /** Fedora. */
  | 'FEDORA'
  /** Huawei Cloud EulerOS. */
  | 'HUAWEI_CLOUD_EULEROS'
  /** openSUSE. */
  | 'OPENSUSE'
  /** Oracle Linux. */
  | 'ORACLE_LINUX'
  /** The upstream says `Other`. */
  | 'OTHER'
  /** Red Hat Enterprise Linux (spelled `RedHat` or `Red Hat`). */
  | 'REDHAT'
  /** SUSE Linux Enterprise (spelled `SUSE` or `Suse`). */
  | 'SUSE'
  /** Ubuntu. */
  | 'UBUNTU'
  /** The upstream sent a value outside the documented vocabulary; read the raw string from `metadata`. */
  | 'UNRECOGNIZED'
  /** Windows. */
  | 'WINDOWS';

/** What the image boots on (metadata key `virtual_env_type`). Matching ignores letter case, spaces and punctuation; any other value reads as UNRECOGNIZED. */
export type VirtualEnvType =
  /** A data disk image (`DataImage`). */
  | 'DATA_IMAGE'
  /** A virtual machine (`FusionCompute`). */
  | 'FUSION_COMPUTE'
  /** A bare metal server (`Ironic`). */
  | 'IRONIC'
  /** An ISO image (`IsoImage`). */
  | 'ISO_IMAGE'
  /** The upstream sent a value outside the documented vocabulary; read the raw string from `metadata`. */
  | 'UNRECOGNIZED';

export type ImageDetailsQueryVariables = Exact<{
  projectId: string | number;
  id: string | number;
}>;


export type ImageDetailsQuery = { image: { id: string, metadata: Array<{ key: string, value: string }> } | null };

export type ImageListQueryVariables = Exact<{
  projectId: string | number;
  ids: Array<string | number> | string | number;
}>;


export type ImageListQuery = { images: Array<{ id: string, osType: OsType | null, osBit: number | null, platform: Platform | null, virtualEnvType: VirtualEnvType | null } | null> };


export const ImageDetailsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ImageDetails"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"image"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"metadata"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}}]}}]}}]} as unknown as DocumentNode<ImageDetailsQuery, ImageDetailsQueryVariables>;
export const ImageListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ImageList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"images"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"osType"}},{"kind":"Field","name":{"kind":"Name","value":"osBit"}},{"kind":"Field","name":{"kind":"Name","value":"platform"}},{"kind":"Field","name":{"kind":"Name","value":"virtualEnvType"}}]}}]}}]} as unknown as DocumentNode<ImageListQuery, ImageListQueryVariables>;