import type { CallOptions, ImageBackend } from './backend.js';
import type { ImageMetadata } from './image-metadata.js';
import type { ImageRef } from './image-ref.js';
import type { ShadowResult, ShadowObserver, ShadowMismatch } from './observer.js';

/** What clients read from metadata: each typed field's value, by field name. */
export type TypedReading = (ref: ImageRef, metadata: ImageMetadata) => Readonly<Record<string, unknown>>;

export interface ShadowOptions {
  /** The share of the loads the primary answered (an image, or `null`: it does not exist) also read from the shadow backend (0 to 1). */
  readonly sampleRate: number;
  /** Most comparisons in flight; a sampled load that finds them all busy is dropped, not queued. */
  readonly maxConcurrency: number;
  /** How long a comparison may wait for the shadow backend. */
  readonly timeoutMs: number;
  /** Whether the shadow backend carries a metadata key at all (IMS has no user-defined keys). */
  readonly carries: (key: string) => boolean;
  /**
   * Spends one upstream call of a caller's allowance (the caller-allowance port of image-source.ts): a comparison
   * is an upstream call too, charged to the caller whose load it samples, and not made when that caller is over.
   */
  readonly allowance: (rateKey: string) => Promise<number | undefined>;
  /** 0 (inclusive) to 1 (exclusive); Math.random unless a test fixes it. */
  readonly random?: () => number;
}

/**
 * Answers from `primary`, as if alone, and proves `shadow` would answer the same: for a sample of the loads the
 * primary answered, it reads the image from the shadow too, off the response path (never awaited: it cannot
 * delay, fail or change an answer), and compares the two metadata maps key by key and every typed field.
 * Keys the shadow cannot carry (user-defined metadata, for IMS) are counted apart, not as differences.
 * "Does not exist" is an answer and is compared too: a shadow that finds an image the primary says does not
 * exist (or the reverse) would change what clients see after the switch, so it is a mismatch on `exists`;
 * missing from both is a match. A primary that failed has nothing to compare.
 */
export class ShadowBackend implements ImageBackend {
  readonly name;
  private readonly running = new Set<Promise<void>>();
  private readonly random: () => number;

  constructor(
    private readonly primary: ImageBackend,
    private readonly shadow: ImageBackend,
    private readonly typed: TypedReading,
    private readonly options: ShadowOptions,
    private readonly observer: ShadowObserver,
  ) {
    this.name = primary.name;
    this.random = options.random ?? Math.random;
  }

  async getImageMetadata(ref: ImageRef, call: CallOptions): Promise<ImageMetadata | null> {
    const metadata = await this.primary.getImageMetadata(ref, call);
    if (this.random() < this.options.sampleRate) this.compareLater(ref, call, metadata);
    return metadata;
  }

  /** Resolves once every comparison started so far is reported (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private compareLater(ref: ImageRef, { credential, requestId, rateKey }: CallOptions, primary: ImageMetadata | null): void {
    if (this.running.size >= this.options.maxConcurrency) {
      this.observer.shadowDropped('concurrency');
      return;
    }
    const comparison = (rateKey === undefined ? Promise.resolve(undefined) : this.options.allowance(rateKey))
      .then((overForMs) => {
        if (overForMs !== undefined) return this.observer.shadowDropped('caller_allowance');
        // Its own deadline: the operation that sampled the load may be long answered when the shadow replies.
        const signal = AbortSignal.timeout(this.options.timeoutMs);
        return this.shadow
          .getImageMetadata(ref, { credential, signal, deadlineAt: Date.now() + this.options.timeoutMs, requestId })
          .then(
            (shadow) => compare(ref, primary, shadow, this.typed, this.options.carries),
            (error: unknown): ShadowResult => ({ result: 'ims_error', mismatches: [], uncarriedKeys: 0, error }),
          )
          .then((outcome) => this.observer.shadowCompared(ref, outcome));
      })
      // Nothing awaits a comparison: one that throws (a typed reading, the observer) must not become an
      // unhandled rejection, which would end the process. It loses its own report, and nothing else.
      .catch(() => undefined)
      .finally(() => this.running.delete(comparison));
    this.running.add(comparison);
  }
}

/** The differences between the primary's answer and the shadow's, key by key and typed field by typed field. */
export function compare(
  ref: ImageRef,
  primary: ImageMetadata | null,
  shadow: ImageMetadata | null,
  typed: TypedReading,
  carries: (key: string) => boolean,
): ShadowResult {
  if (primary === null || shadow === null) {
    const same = primary === shadow;
    return { result: same ? 'match' : 'mismatch', mismatches: same ? [] : [{ field: 'exists', primary: primary !== null, shadow: shadow !== null }], uncarriedKeys: 0 };
  }
  const mismatches: ShadowMismatch[] = [];
  let uncarriedKeys = 0;
  const primaryKeys = new Set(primary.entries.map(({ key }) => key));
  for (const key of primaryKeys) {
    if (!carries(key)) uncarriedKeys += 1;
    else if (shadow.get(key) !== primary.get(key)) mismatches.push({ field: `metadata.${key}`, primary: primary.get(key), shadow: shadow.get(key) });
  }
  for (const { key } of shadow.entries) {
    if (!primaryKeys.has(key)) mismatches.push({ field: `metadata.${key}`, primary: undefined, shadow: shadow.get(key) });
  }
  const primaryFields = typed(ref, primary);
  const shadowFields = typed(ref, shadow);
  for (const [field, value] of Object.entries(primaryFields)) {
    if (JSON.stringify(value) !== JSON.stringify(shadowFields[field])) mismatches.push({ field, primary: value, shadow: shadowFields[field] });
  }
  return { result: mismatches.length > 0 ? 'mismatch' : 'match', mismatches, uncarriedKeys };
}
