/**
 * At most `size` tasks at once; the others wait, in the order they came. The limiter of both concurrency caps
 * (per operation, image-loader.ts; connection slots per upstream, upstream/client.ts).
 *
 * Why not p-limit: it starts every task a microtask later, through a promise and a queue node of its own, even
 * when a slot is free, which is nearly always; here a task that finds a slot starts at once, in its caller's
 * tick, and only a task that must wait costs a promise. Both caps run once per upstream call, so this is paid
 * twice per image.
 */
export class Slots {
  private active = 0;
  /** Waiting tasks' starters; `head` is the next one (a queue without shift's copying). */
  private waiting: Array<() => void> = [];
  private head = 0;

  constructor(readonly size: number) {}

  /** Whether a task given now would wait. */
  get full(): boolean {
    return this.active >= this.size;
  }

  /** Tasks running now (at most `size`). */
  get activeCount(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get pendingCount(): number {
    return this.waiting.length - this.head;
  }

  /** `task`'s result, once a slot has run it. A task that throws rejects; the slot is freed either way. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) return this.start(task);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => this.start(task).then(resolve, reject));
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.active += 1;
    let result: Promise<T>;
    try {
      result = task();
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(this.release, this.release);
    return result;
  }

  private readonly release = () => {
    this.active -= 1;
    if (this.head === this.waiting.length) return;
    const next = this.waiting[this.head]!;
    this.head += 1;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  };
}
