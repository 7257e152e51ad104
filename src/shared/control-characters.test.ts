import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, hasControlCharacters } from './control-characters.ts';

describe('control characters', () => {
  it('finds C0, DEL, C1 and the Unicode line separators, and nothing else', () => {
    for (const char of ['\u0000', '\t', '\n', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029'])
      expect(hasControlCharacters(`a${char}b`), JSON.stringify(char)).toBe(true);
    for (const text of ['u-42', 'auth0|5f', 'jöhn@exämple.org', 'a b', '名前', '🙂', 'back\\slash'])
      expect(hasControlCharacters(text), text).toBe(false);
  });

  it('writes each one out as a visible escape, leaving other text alone', () => {
    expect(escapeControlCharacters('evil\u001b[2J\u001b[31mX')).toBe('evil\\x1b[2J\\x1b[31mX');
    expect(escapeControlCharacters('m\u001b]0;pwned\u0007')).toBe('m\\x1b]0;pwned\\x07');
    expect(escapeControlCharacters('a\nb\r\tc\u009bd\u2028')).toBe('a\\nb\\r\\tc\\x9bd\\u2028');
    expect(escapeControlCharacters('plain – text 🙂')).toBe('plain – text 🙂');
  });
});
