/** One metadata pair exactly as the upstream sent it. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}

/**
 * An image's metadata: the entries in upstream order (lossless, duplicates included) and a lookup by key.
 * When a key repeats, lookup returns the last value, as `JSON.parse` would.
 */
export class ImageMetadata {
  private readonly byKey: ReadonlyMap<string, string>;

  constructor(readonly entries: readonly MetadataEntry[]) {
    this.byKey = new Map(entries.map(({ key, value }) => [key, value]));
  }

  get(key: string): string | undefined {
    return this.byKey.get(key);
  }
}
