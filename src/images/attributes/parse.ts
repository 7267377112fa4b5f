/**
 * Tolerant parsers from the upstream's metadata strings to typed values. One rule for all of them: a value that
 * is absent, empty or only spaces reads as absent, and a value that does not parse reads as `null`; no
 * parser throws. The raw string is always still in `Image.metadata`.
 */

/** The value with surrounding spaces removed, or null when absent or blank. */
export function text(raw: string | undefined): string | null {
  const trimmed = raw?.trim();
  return trimmed ? trimmed : null;
}

/** `"true"` / `"false"` in any letter case (the documentation shows both `True` and `true`); else null. */
export function boolean(raw: string | undefined): boolean | null {
  const value = text(raw)?.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** A capability flag the upstream omits when false: absent reads as `false`, otherwise as {@link boolean}. */
export function flag(raw: string | undefined): boolean | null {
  return text(raw) === null ? false : boolean(raw);
}

const INT32_MAX = 2 ** 31 - 1;

/** A non-negative decimal integer that fits GraphQL's 32-bit `Int`; else null. */
export function int(raw: string | undefined): number | null {
  const value = text(raw);
  if (value === null || !/^\d+$/.test(value)) return null;
  const number = Number(value);
  return number <= INT32_MAX ? number : null;
}

const UINT64_MAX = 2n ** 64n - 1n;

/** A non-negative decimal integer up to 2^64 - 1, as its canonical decimal string (no leading zeros); else null. */
export function uint64(raw: string | undefined): string | null {
  const value = text(raw);
  if (value === null || !/^\d+$/.test(value)) return null;
  const number = BigInt(value);
  return number <= UINT64_MAX ? number.toString() : null;
}

/** A comma-separated list (`hss,ces`): items trimmed, empty items dropped. */
export function commaList(raw: string | undefined): string[] | null {
  const value = text(raw);
  if (value === null) return null;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A JSON-encoded array held in a string. String items are kept as they are; any other item (an object,
 * a number) is kept as its JSON text, so nothing is dropped. Not JSON, or not an array: null.
 */
export function jsonList(raw: string | undefined): string[] | null {
  const value = text(raw);
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  return parsed.map((item: unknown) => (typeof item === 'string' ? item : JSON.stringify(item)));
}
