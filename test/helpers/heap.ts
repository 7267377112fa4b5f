import { getHeapSnapshot } from 'node:v8';
import { json } from 'node:stream/consumers';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
}

// V8's compiled code and its internal bookkeeping (types "code" and "hidden": deopt data, feedback,
// the weak lists of optimised functions) grow and shrink as functions are re-optimised, by up to a
// megabyte over a busy test on a loaded machine. They say nothing about what the program keeps.
const V8_INTERNALS = new Set(['code', 'hidden']);

/**
 * Bytes held by everything the program can reach (objects, closures, strings, arrays, timers, sockets),
 * from a heap snapshot, which collects garbage first. Leaves V8's own code and bookkeeping out, so a
 * leak of a few hundred bytes per operation stands out over a thousand operations.
 */
export async function programHeapBytes(): Promise<number> {
  const heap = (await json(getHeapSnapshot())) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  let bytes = 0;
  for (let node = 0; node < heap.nodes.length; node += fields.length) {
    if (!V8_INTERNALS.has(types[heap.nodes[node + typeAt]!]!)) bytes += heap.nodes[node + sizeAt]!;
  }
  return bytes;
}
