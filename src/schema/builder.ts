import SchemaBuilder from '@pothos/core';
import type { Context } from '../context.js';

/** Setup only: types live in their own files and `index.ts` assembles them. */
export const builder = new SchemaBuilder<{
  Context: Context;
  // Fields are non-null unless they say otherwise: most "nullable" fields here mean "the upstream may omit it".
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    UInt64: { Input: string; Output: string };
  };
}>({ defaultFieldNullability: false });
