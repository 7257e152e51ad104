import { describe, expect, it } from 'vitest';
import { isJsonObject, parseJsonObjectText } from './json-object.ts';

describe('JSON objects', () => {
  it('tells an object from null, arrays and scalars', () => {
    expect(isJsonObject({ a: 1 })).toBe(true);
    for (const value of [null, undefined, [1], 'x', 1, true]) expect(isJsonObject(value)).toBe(false);
  });

  it('parses an object, and gives undefined for anything else', () => {
    expect(parseJsonObjectText('{"id":"gen-1"}')).toEqual({ id: 'gen-1' });
    for (const text of ['[1]', 'null', '"x"', '{"id":', ''])
      expect(parseJsonObjectText(text)).toBeUndefined();
  });
});
