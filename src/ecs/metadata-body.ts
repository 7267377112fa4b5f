import { JSONParser } from '@streamparser/json';
import { ImageMetadata, type MetadataEntry } from '../images/image-metadata.js';

/** A 2xx body that is not `{"metadata": {string: string}}`. */
export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

/**
 * Parses a success body into metadata, keeping the upstream's key order.
 *
 * `JSON.parse` alone cannot keep the order: JavaScript objects list integer-like keys ("1", "42") first,
 * whatever their place in the text, and keep one value of a repeated key; user-defined metadata keys may be
 * anything. So `JSON.parse` checks the body, and the entries are read from the text itself: in a body that is
 * exactly `{"metadata": {...}}` with string values only, its string tokens are "metadata", then each key and
 * its value, in order. Any other body (another member beside `metadata`, a body that does not parse) goes to a
 * streaming parser, which reports each member as it reads it and says what is wrong.
 */
export function parseMetadataBody(text: string): ImageMetadata {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return parseStreaming(text); // throws, saying why
  }
  const metadata = isObject(root) ? root['metadata'] : undefined;
  if (!isObject(metadata)) throw new MalformedBodyError('the body has no "metadata" object');
  const keys = Object.keys(metadata);
  for (const key of keys) if (typeof metadata[key] !== 'string') throw new MalformedBodyError('a metadata value is not a string');
  if (Object.keys(root as object).length !== 1) return parseStreaming(text);
  const tokens = text.match(STRING_TOKEN) ?? [];
  // "metadata", then exactly one key and value per distinct key. A body whose keys repeat (JSON.parse checked
  // only their last values, and their tokens no longer pair up reliably) goes to the streaming parser.
  if (tokens[0] !== '"metadata"' || tokens.length !== 1 + 2 * keys.length) return parseStreaming(text);
  const entries: MetadataEntry[] = [];
  for (let index = 1; index < tokens.length; index += 2) entries.push({ key: decode(tokens[index]!), value: decode(tokens[index + 1]!) });
  return new ImageMetadata(entries);
}

/** A JSON string token, escapes included. */
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"/g;

function decode(token: string): string {
  return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
}

/** The lossless reading of any body, and the reason a body is not metadata. */
function parseStreaming(text: string): ImageMetadata {
  const parser = new JSONParser({ paths: ['$', '$.metadata.*'], keepStack: false });
  const entries: MetadataEntry[] = [];
  let root: unknown;
  let badValue = false;
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 0) {
      root = value;
    } else if (typeof key === 'string' && typeof value === 'string') {
      entries.push({ key, value });
    } else {
      badValue = true;
    }
  };
  try {
    parser.write(text);
  } catch (error) {
    throw new MalformedBodyError('the body is not valid JSON', { cause: error });
  }
  // The parser ends itself after one complete JSON value; a body cut short leaves it waiting for more.
  if (!parser.isEnded) throw new MalformedBodyError('the body is empty or cut off');
  if (!isObject(root) || !isObject(root['metadata'])) {
    throw new MalformedBodyError('the body has no "metadata" object');
  }
  if (badValue) throw new MalformedBodyError('a metadata value is not a string');
  return new ImageMetadata(entries);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
