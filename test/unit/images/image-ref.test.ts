import { describe, expect, it } from 'vitest';
import { imageRefKey, InvalidIdError, parseImageId, parseImageRef, parseProjectId } from '../../../src/images/image-ref.js';

const PROJECT = '9c53a566cb3443ab910cf0daebca90c4';
const IMAGE = '17a1890b-0fa4-485e-8505-14e294017988';

describe('image references', () => {
  it('accepts and lower-cases valid ids', () => {
    expect(parseImageRef(PROJECT.toUpperCase(), IMAGE.toUpperCase())).toEqual({ projectId: PROJECT, imageId: IMAGE });
    expect(imageRefKey({ projectId: PROJECT, imageId: IMAGE })).toBe(`${PROJECT}/${IMAGE}`);
  });

  it.each([
    ['empty', ''],
    ['31 characters', PROJECT.slice(1)],
    ['33 characters', `${PROJECT}0`],
    ['non-hex', `${PROJECT.slice(1)}g`],
    ['a path', '../../servers'],
    ['percent-encoded', '%2e%2e%2f%2e%2e%2fservers'],
    ['a newline after a valid id', `${PROJECT}\n`],
    ['5 000 characters', 'a'.repeat(5000)],
  ])('refuses a project id that is %s, without echoing it', (_name, value) => {
    expect(() => parseProjectId(value)).toThrow(new InvalidIdError('projectId', 'projectId must be a project id: 32 hexadecimal characters.'));
  });

  it.each([
    ['empty', ''],
    ['without dashes', IMAGE.replaceAll('-', '')],
    ['with braces', `{${IMAGE}}`],
    ['a path', `${IMAGE}/../../servers`],
    ['percent-encoded', '..%2F..%2Fservers'],
    ['5 000 characters', '0'.repeat(5000)],
  ])('refuses an image id that is %s', (_name, value) => {
    expect(() => parseImageId(value)).toThrow('id must be an image id: a UUID such as 17a1890b-0fa4-485e-8505-14e294017988.');
  });

  it('names the position of a bad id in a list', () => {
    let error: unknown;
    try {
      parseImageId('nope', 'ids', 3);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidIdError);
    expect((error as InvalidIdError).argument).toBe('ids');
    expect((error as InvalidIdError).message).toBe('ids[3] must be an image id: a UUID such as 17a1890b-0fa4-485e-8505-14e294017988.');
  });
});
