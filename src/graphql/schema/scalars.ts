import { GraphQLError, Kind } from 'graphql';
import { uint64 } from '../../images/attributes/parse.js';
import type { Builder } from './builder.js';

/**
 * Byte counts can exceed 2^53, past which JSON numbers lose precision in JavaScript, so they travel as
 * decimal strings (the convention GitHub's API uses for its `BigInt`).
 */
export function defineScalars(builder: Builder) {
  const UInt64 = builder.scalarType('UInt64', {
    description:
      'A non-negative integer up to 2^64 - 1, serialized as a decimal string (e.g. "42949672960") so that JavaScript clients never lose precision.',
    serialize: (value) => value,
    parseValue: (value) => parseUInt64(typeof value === 'string' ? value : undefined),
    parseLiteral: (node) => parseUInt64(node.kind === Kind.STRING ? node.value : undefined),
  });
  return { UInt64 };
}

function parseUInt64(value: string | undefined): string {
  const parsed = uint64(value);
  if (parsed === null || parsed !== value) throw new GraphQLError('UInt64 must be a decimal string from "0" to "18446744073709551615".');
  return parsed;
}
