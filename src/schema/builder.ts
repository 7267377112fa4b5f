import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
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
}>({
  // In this order: without the directives plugin, `@key` and `@link` silently vanish from the subgraph SDL.
  plugins: [DirectivePlugin, FederationPlugin],
  defaultFieldNullability: false,
});
