import { responsePathAsArray, type FieldNode, type GraphQLResolveInfo, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Context } from '../context.js';
import { operationTooLarge } from '../errors.js';
import type { ImageRecord } from '../../images/image-loader.js';

/**
 * An image result on its way into the response: charged to the operation's response budget by what its
 * selection reads, and noted when it is stale. Past the budget the result fails alone, with
 * `OPERATION_TOO_LARGE`, and the rest of the answer is still sent.
 */
export async function imageResult(
  loading: Promise<ImageRecord | null>,
  ctx: Context,
  info: GraphQLResolveInfo,
  path: ReadonlyArray<string | number> = responsePathAsArray(info.path),
): Promise<ImageRecord | null> {
  const record = await loading;
  if (record === null) return null;
  if (!ctx.operation.ledger.admit(record, responseBytes(record, info), path)) {
    throw operationTooLarge(
      `The response would carry more than ${ctx.limits.maxResponseBytes} bytes of image data (MAX_RESPONSE_BYTES); this image is left out. Ask for fewer images or fewer fields.`,
    );
  }
  return record;
}

/** An id, the project id, braces and commas. */
const RESULT_OVERHEAD = 128;
/** The typed fields' names and punctuation, when all are selected. */
const TYPED_FIELDS_OVERHEAD = 1536;

/** About how many bytes `record` adds to the response, given what `info`'s selection reads of it. */
function responseBytes(record: ImageRecord, info: GraphQLResolveInfo): number {
  const { metadata, typed } = selectionShape(info);
  const size = record.metadata.responseSize;
  return RESULT_OVERHEAD + (metadata ? size.entries : 0) + (typed ? size.values + TYPED_FIELDS_OVERHEAD : 0);
}

interface SelectionShape {
  /** The `metadata` list is selected. */
  metadata: boolean;
  /** Some typed field (each reads one metadata value) is selected. */
  typed: boolean;
}

const UNCHARGED = new Set(['id', 'projectId', '__typename', 'metadata']);
// Per operation and field node: a document is parsed once and resolved many times. Image fields are root
// fields (`image`, `images`, `_entities`), so within one operation a field node belongs to one group of merged
// nodes; a fragment shared by two operations of a document may be merged with other nodes in each.
const shapes = new WeakMap<OperationDefinitionNode, Map<FieldNode, SelectionShape>>();

function selectionShape(info: GraphQLResolveInfo): SelectionShape {
  const [node] = info.fieldNodes;
  let ofOperation = shapes.get(info.operation);
  if (!ofOperation) shapes.set(info.operation, (ofOperation = new Map()));
  const known = node && ofOperation.get(node);
  if (known) return known;
  const shape: SelectionShape = { metadata: false, typed: false };
  const visit = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === 'Field') {
        if (selection.name.value === 'metadata') shape.metadata = true;
        else if (!UNCHARGED.has(selection.name.value)) shape.typed = true;
      } else if (selection.kind === 'InlineFragment') {
        visit(selection.selectionSet);
      } else {
        visit(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const fieldNode of info.fieldNodes) visit(fieldNode.selectionSet);
  if (node) ofOperation.set(node, shape);
  return shape;
}
