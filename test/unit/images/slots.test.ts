import { describe, expect, it } from 'vitest';
import { Slots } from '../../../src/images/slots.js';

/** A task that stays pending until the test settles it. */
function held() {
  let settle!: (outcome: string | Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    settle = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
  });
  return { promise, settle };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Slots', () => {
  it('starts a task at once while a slot is free, the others in order as slots free up, whether tasks succeed, fail or throw', async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const tasks = [held(), held(), held(), held(), held()];
    const results = tasks.map((task, n) =>
      slots
        .run(() => {
          started.push(n);
          if (n === 3) throw new Error('thrown');
          return task.promise;
        })
        .catch((error: Error) => `failed: ${error.message}`),
    );
    expect(started).toEqual([0, 1]); // synchronously: no microtask before a free slot runs its task
    expect(slots.full).toBe(true);
    tasks[1]!.settle(new Error('rejected'));
    await tick();
    expect(started).toEqual([0, 1, 2]);
    tasks[0]!.settle('zero');
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]); // 3 threw: its slot went to 4 at once
    tasks[2]!.settle('two');
    tasks[4]!.settle('four');
    expect(await Promise.all(results)).toEqual(['zero', 'failed: rejected', 'two', 'failed: thrown', 'four']);
    expect(slots.full).toBe(false);
  });

  it('keeps the order of thousands of waiting tasks', async () => {
    const slots = new Slots(1);
    const order: number[] = [];
    const first = held();
    const all = [slots.run(() => first.promise), ...Array.from({ length: 3000 }, (_, n) => slots.run(async () => void order.push(n)))];
    first.settle('done');
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, n) => n));
  });
});
