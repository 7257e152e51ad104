/**
 * Control characters in text that names things (modules, user ids) or that a terminal shows. The
 * set is the gateway's: C0 (with tab, newline and ESC), DEL, C1 (where CSI and OSC also live) and
 * the Unicode line and paragraph separators, which break lines in editors and JSON-in-JS alike.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const EVERY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * The text with each control character written out as an escape (`\n`, `\t`, `\x1b`, `\u2028`),
 * so stored data shown on a terminal can neither move the cursor, recolour, retitle or clear it,
 * nor break a table row; what it held stays visible.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(EVERY_CONTROL, (char) => {
    const named = NAMED[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
