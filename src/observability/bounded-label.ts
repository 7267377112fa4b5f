/**
 * Label values that come from clients (operation names, client names) are capped: past `max` distinct
 * values, new ones are reported as `other`, so that no client can grow the metrics without bound.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string | null | undefined, fallback: string): string {
    const value = raw?.trim().slice(0, 100) || fallback;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
