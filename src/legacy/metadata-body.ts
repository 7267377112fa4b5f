import { JSONParser } from '@streamparser/json';
import { ImageMetadata, type MetadataEntry } from './image-metadata.js';

/** A 2xx body that is not `{"metadata": {string: string}}`. */
export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

/**
 * Parses a success body into metadata, keeping the upstream's key order.
 *
 * `JSON.parse` cannot be used for the order: JavaScript objects list integer-like keys ("1", "42") first,
 * whatever their place in the text, and user-defined metadata keys may be anything. A streaming parser
 * reports each member as it reads it, so the entries come out exactly as sent, duplicates included.
 */
export function parseMetadataBody(text: string): ImageMetadata {
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
