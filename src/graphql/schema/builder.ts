import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import type { Context } from '../context.js';

/** A fresh, empty builder: setup only. The types are defined by the other files, `index.ts` assembles them. */
export function createBuilder() {
  return new SchemaBuilder<{
    Context: Context;
    // Fields are non-null unless they say otherwise: most "nullable" fields here mean "the upstream may omit it".
    DefaultFieldNullability: false;
    Scalars: {
      ID: { Input: string; Output: string };
      UInt64: { Input: string; Output: string };
    };
    // Demand control (Federation 2.9, from IBM's cost specification): what a gateway charges for a field.
    Directives: {
      cost: { locations: 'FIELD_DEFINITION' | 'OBJECT'; args: { weight: number } };
      listSize: { locations: 'FIELD_DEFINITION'; args: { assumedSize: number } };
    };
  }>({
    // In this order: without the directives plugin, `@key` and `@link` silently vanish from the subgraph SDL.
    plugins: [DirectivePlugin, FederationPlugin],
    defaultFieldNullability: false,
  });
}

export type Builder = ReturnType<typeof createBuilder>;
