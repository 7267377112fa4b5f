/** One metadata pair exactly as the upstream sent it. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}

/** About how many bytes an image's data takes in a JSON response. */
export interface ResponseSize {
  /** The `metadata` list: every pair as `{"key": ..., "value": ..., "__typename": ...}`. */
  readonly entries: number;
  /** Every value once: the most the typed fields can carry, since each reads a different key. */
  readonly values: number;
}

/**
 * An image's metadata: the entries in upstream order (lossless, duplicates included) and a lookup by key.
 * When a key repeats, lookup returns the last value, as `JSON.parse` would.
 */
export class ImageMetadata {
  // Made when first asked: an operation that selects only `metadata` never needs it.
  private byKey: ReadonlyMap<string, string> | undefined;
  private size: ResponseSize | undefined;

  constructor(readonly entries: readonly MetadataEntry[]) {}

  get(key: string): string | undefined {
    this.byKey ??= new Map(this.entries.map(({ key: name, value }) => [name, value]));
    return this.byKey.get(key);
  }

  /** Computed once, when first asked: the response budget charges every image result by it. */
  get responseSize(): ResponseSize {
    if (!this.size) {
      let values = 0;
      let keys = 0;
      for (const { key, value } of this.entries) {
        keys += jsonBytes(key);
        values += jsonBytes(value);
      }
      this.size = { entries: keys + values + ENTRY_OVERHEAD * this.entries.length, values };
    }
    return this.size;
  }
}

/** `{"key":,"value":,"__typename":"MetadataEntry"},` around each pair: the most a selection of it adds. */
const ENTRY_OVERHEAD = 47;
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The bytes of `text` as a JSON string, quotes and escapes included. */
function jsonBytes(text: string): number {
  return PLAIN_ASCII.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text));
}
