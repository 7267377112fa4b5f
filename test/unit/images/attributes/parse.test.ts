import { describe, expect, it } from 'vitest';
import { boolean, commaList, flag, int, jsonList, text, uint64 } from '../../../../src/images/attributes/parse.js';

describe('attribute parsers', () => {
  it('text: trims; absent, empty and blank read as null', () => {
    expect(text('  CentOS 7.3 64bit ')).toBe('CentOS 7.3 64bit');
    expect(text(undefined)).toBeNull();
    expect(text('')).toBeNull();
    expect(text('   ')).toBeNull();
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    [' false ', false],
    ['False', false],
    ['yes', null],
    ['1', null],
    ['', null],
    [undefined, null],
  ])('boolean(%j) = %j', (raw, expected) => {
    expect(boolean(raw)).toBe(expected);
  });

  it.each([
    [undefined, false],
    ['', false],
    ['true', true],
    ['false', false],
    ['maybe', null],
  ])('flag(%j) = %j: absent means false', (raw, expected) => {
    expect(flag(raw)).toBe(expected);
  });

  it.each([
    ['64', 64],
    ['32', 32],
    ['0', 0],
    [' 64 ', 64],
    ['2147483647', 2147483647],
    ['2147483648', null],
    ['-1', null],
    ['64bit', null],
    ['6.4', null],
    ['sixty-four', null],
    ['', null],
    [undefined, null],
  ])('int(%j) = %j', (raw, expected) => {
    expect(int(raw)).toBe(expected);
  });

  it.each([
    ['42949672960', '42949672960'],
    ['0', '0'],
    ['000123', '123'],
    ['18446744073709551615', '18446744073709551615'],
    ['18446744073709551616', null],
    ['9007199254740993', '9007199254740993'],
    ['-1', null],
    ['1e9', null],
    ['1.5', null],
    ['', null],
  ])('uint64(%j) = %j, exact past 2^53', (raw, expected) => {
    expect(uint64(raw)).toBe(expected);
  });

  it('commaList: trims items and drops empty ones', () => {
    expect(commaList('hss,ces')).toEqual(['hss', 'ces']);
    expect(commaList(' hss , ,ces, ')).toEqual(['hss', 'ces']);
    expect(commaList('hss')).toEqual(['hss']);
    expect(commaList('')).toBeNull();
    expect(commaList(undefined)).toBeNull();
  });

  it('jsonList: strings kept, other items as JSON text, anything but a JSON list is null', () => {
    expect(jsonList('["onekey_resetpasswd", "virtio_net"]')).toEqual(['onekey_resetpasswd', 'virtio_net']);
    expect(jsonList('[{"name": "a", "value": true}, 3, null]')).toEqual(['{"name":"a","value":true}', '3', 'null']);
    expect(jsonList('[]')).toEqual([]);
    expect(jsonList('{"a": 1}')).toBeNull();
    expect(jsonList('"text"')).toBeNull();
    expect(jsonList('not json')).toBeNull();
    expect(jsonList('')).toBeNull();
  });
});
