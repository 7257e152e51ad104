/**
 * Whether `text` holds a control character: C0 (including tab and newline), DEL, C1, or the
 * line and paragraph separators that some terminals and JSON readers take as line breaks. Such
 * characters in a name or an id would break a table row or drive a terminal.
 */
export function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

/** Whether every character of `text` is ASCII. */
export function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}
