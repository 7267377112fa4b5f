/**
 * Resolves once `condition` holds, checking after every turn of the event loop: waiting for an event,
 * not for a time. The test's own timeout bounds it.
 */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
