/** How many retries the upstream may see, as a share of the calls it sees. */
export interface RetryBudgetPolicy {
  /** Retries may add at most this percentage of the calls of the window... */
  readonly percent: number;
  /** ...beyond this many per second, always allowed. */
  readonly minPerSecond: number;
}

/** The window retries and calls are counted over, in one-second slots. */
const WINDOW_SECONDS = 10;

/**
 * A retry budget, as Finagle's RetryBudget and Envoy's retry budgets have it: over the last 10 s, retries
 * may number at most `percent`% of the calls plus `minPerSecond` per second. When most calls fail, most
 * are then not retried: a failing upstream sees about 1.2 times the calls instead of three times.
 * A ring of per-second counters: a few integers, no timers.
 */
export class RetryBudget {
  private readonly calls = new Array<number>(WINDOW_SECONDS).fill(0);
  private readonly retries = new Array<number>(WINDOW_SECONDS).fill(0);
  private second = 0;

  constructor(
    private readonly policy: RetryBudgetPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** A first attempt is made. */
  recordCall(): void {
    this.calls[this.slot()]! += 1;
  }

  /** Spends one retry if the budget allows it. */
  tryRetry(): boolean {
    const slot = this.slot();
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    const allowed = this.policy.minPerSecond * WINDOW_SECONDS + (sum(this.calls) * this.policy.percent) / 100;
    if (sum(this.retries) + 1 > allowed) return false;
    this.retries[slot]! += 1;
    return true;
  }

  /** The current second's slot, clearing the slots of the seconds that passed since the last call. */
  private slot(): number {
    const second = Math.floor(this.now() / 1000);
    for (let passed = this.second + 1; passed <= second && passed <= this.second + WINDOW_SECONDS; passed += 1) {
      this.calls[passed % WINDOW_SECONDS] = 0;
      this.retries[passed % WINDOW_SECONDS] = 0;
    }
    this.second = Math.max(this.second, second);
    return this.second % WINDOW_SECONDS;
  }
}
