import { describe, expect, it } from 'vitest';
import { MalformedBodyError, parseMetadataBody } from '../../../src/ecs/metadata-body.js';

describe('parseMetadataBody', () => {
  it('keeps every pair in the order sent, integer-like keys and repeated keys included', () => {
    const metadata = parseMetadataBody('{"metadata": {"b": "1", "2": "two", "a": "", "b": "again", "10": "ten"}}');
    expect(metadata.entries).toEqual([
      { key: 'b', value: '1' },
      { key: '2', value: 'two' },
      { key: 'a', value: '' },
      { key: 'b', value: 'again' },
      { key: '10', value: 'ten' },
    ]);
    expect(metadata.get('b')).toBe('again');
    expect(metadata.get('missing')).toBeUndefined();
  });

  it('reads a repeated metadata member as the streaming parser does, never as a pair of its own', () => {
    const metadata = parseMetadataBody('{"metadata": {"a": "1"}, "metadata": {}, "metadata": {"b": "2"}}');
    expect(metadata.entries).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
  });

  it('decodes escapes and non-ASCII text exactly', () => {
    const metadata = parseMetadataBody('{"metadata": {"k\\u00e9y": "line\\nbreak \\"quoted\\" 镜像 \\ud83d\\ude00"}}');
    expect(metadata.entries).toEqual([{ key: 'kéy', value: 'line\nbreak "quoted" 镜像 😀' }]);
  });

  it('accepts an empty map and ignores other top-level members', () => {
    expect(parseMetadataBody('{"metadata": {}}').entries).toEqual([]);
    expect(parseMetadataBody('{"links": [], "metadata": {"a": "b"}}').entries).toEqual([{ key: 'a', value: 'b' }]);
    // Beside another member, the order is still the one sent, integer-like keys included.
    expect(parseMetadataBody('{"metadata": {"b": "1", "2": "two"}, "links": []}').entries).toEqual([
      { key: 'b', value: '1' },
      { key: '2', value: 'two' },
    ]);
  });

  it.each([
    ['empty', ''],
    ['cut off', '{"metadata": {"__os_type": "Lin'],
    ['HTML', '<html><body>Bad Gateway</body></html>'],
    ['no metadata member', '{"image": {"id": "x"}}'],
    ['metadata is a list', '{"metadata": ["a"]}'],
    ['metadata is a string', '{"metadata": "a"}'],
    ['a number value', '{"metadata": {"__os_bit": 64}}'],
    ['a null value', '{"metadata": {"__os_bit": null}}'],
    ['a nested object', '{"metadata": {"a": {"b": "c"}}}'],
    ['trailing garbage', '{"metadata": {}} {"metadata": {}}'],
    ['the root is a list', '[{"metadata": {}}]'],
    // JSON.parse sees only the last value of a repeated key: the earlier ones must still be strings.
    ['a repeated key whose first value is a number', '{"metadata": {"a": 1, "b": 2, "a": "x", "b": "y"}}'],
    ['a repeated key whose first value is an object', '{"metadata": {"a": {"k": "v"}, "b": null, "a": "x", "b": "y"}}'],
  ])('refuses a body that is %s', (_name, body) => {
    expect(() => parseMetadataBody(body)).toThrow(MalformedBodyError);
  });
});
