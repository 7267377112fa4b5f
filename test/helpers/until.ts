/**
 * Resolves once `condition` holds, checking after every turn of the event loop: waiting for an event,
 * not for a time. The test's own timeout bounds it.
 */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

export interface Gate {
  /** For the sandbox's `answerWhen`: resolves once the gate is open. */
  readonly passed: () => Promise<void>;
  open(): void;
}

/** A gate that the sandbox's answers wait at until the test opens it: calls stay in flight exactly as long as the test needs. */
export function gate(): Gate {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { passed: () => opened, open: () => open() };
}
