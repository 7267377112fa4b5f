import type { OperationRecord } from '../operation-record.js';

/** The value every name not admitted is counted under. */
export const OTHER = 'other';

/**
 * Operation and client names in metric labels. Both come from the request, so an unauthenticated caller
 * sending random names could otherwise make every labelled metric grow without bound, and with it the time
 * and memory /metrics takes to render. So a name pair (operation, client) is admitted only from an identified
 * caller (see OperationRecord.identified), and at most `maxPairs` pairs ever are; every other request, and any
 * phase before its caller is known (parse, validation), is counted under `other`.
 */
export class MetricNames {
  private readonly admitted = new Set<string>();

  constructor(private readonly maxPairs: number) {}

  of(record: OperationRecord): { readonly operationName: string; readonly clientName: string } {
    if (!record.identified) return OTHER_NAMES;
    const operationName = record.operationName ?? 'Anonymous';
    const clientName = record.clientName ?? 'unknown';
    const pair = `${operationName}\u0000${clientName}`;
    if (this.admitted.has(pair)) return { operationName, clientName };
    if (this.admitted.size >= this.maxPairs) return OTHER_NAMES;
    this.admitted.add(pair);
    return { operationName, clientName };
  }
}

const OTHER_NAMES = { operationName: OTHER, clientName: OTHER };

/**
 * A bound on the number of series of one metric, whatever its labels: past `maxSeries` label sets, a new set is
 * counted with its caller-supplied labels (`names`) as `other`. The labels that are not names take a few
 * values each (a type, a field of the schema, an error code), so the `other` series stay few too.
 */
export class SeriesBudget<L extends Record<string, string | number>> {
  private readonly seen = new Set<string>();

  constructor(
    private readonly maxSeries: number,
    private readonly names: ReadonlyArray<keyof L>,
  ) {}

  labels(labels: L): L {
    const key = Object.values(labels).join('\u0000');
    if (this.seen.has(key)) return labels;
    if (this.seen.size < this.maxSeries) {
      this.seen.add(key);
      return labels;
    }
    const bounded = { ...labels };
    for (const name of this.names) (bounded as Record<keyof L, string | number>)[name] = OTHER;
    return bounded;
  }
}
