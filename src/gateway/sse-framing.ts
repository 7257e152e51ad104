/**
 * Where SSE events end in a byte buffer. An event ends at a blank line; lines end in LF, CRLF or
 * CR, so the blank line is one of these terminator pairs. The relay forwards bytes only up to
 * an event's end, so a caller never waits for a complete event and the relay can look at whole
 * events (to hold back `[DONE]` or clean an error event) without re-encoding anything.
 */
const TERMINATOR_PAIRS = ['\n\n', '\r\n\r\n', '\n\r\n', '\r\r'] as const;

const CR = 0x0d;

/**
 * Whether `bytes` can hold a CR-based terminator. Almost every stream ends its lines with LF
 * alone; then `\n\n` is the only pair to look for, one scan instead of four (the three others
 * would each run to the end of the buffer, for every event in it).
 */
export function hasCarriageReturn(bytes: Buffer): boolean {
  return bytes.indexOf(CR) !== -1;
}

/** Index just past the last event boundary in `bytes`, or 0 when none is complete. */
export function lastEventEnd(bytes: Buffer, carriageReturns = hasCarriageReturn(bytes)): number {
  if (!carriageReturns) {
    const at = bytes.lastIndexOf('\n\n');
    return at === -1 ? 0 : at + 2;
  }
  let end = 0;
  for (const pair of TERMINATOR_PAIRS) {
    const at = bytes.lastIndexOf(pair);
    if (at !== -1 && at + pair.length > end) end = at + pair.length;
  }
  return end;
}

/**
 * Index just past the first event boundary at or after `from`, or -1. Pass `carriageReturns`
 * (hasCarriageReturn of the same bytes) when walking a buffer event by event.
 */
export function nextEventEnd(bytes: Buffer, from: number, carriageReturns = true): number {
  if (!carriageReturns) {
    const at = bytes.indexOf('\n\n', from);
    return at === -1 ? -1 : at + 2;
  }
  let end = -1;
  for (const pair of TERMINATOR_PAIRS) {
    const at = bytes.indexOf(pair, from);
    if (at !== -1 && (end === -1 || at + pair.length < end)) end = at + pair.length;
  }
  return end;
}

/** Where the event holding byte `at` starts: just past the last event boundary before it. */
export function eventStartBefore(bytes: Buffer, at: number, carriageReturns: boolean): number {
  let start = 0;
  for (const pair of carriageReturns ? TERMINATOR_PAIRS : (['\n\n'] as const)) {
    const from = at - pair.length;
    // (A negative offset would count from the end of the buffer.)
    const found = from < 0 ? -1 : bytes.lastIndexOf(pair, from);
    if (found !== -1 && found + pair.length > start) start = found + pair.length;
  }
  return start;
}

/** The `data` of one event's text: its `data:` lines joined by "\n" (SSE rules), or undefined. */
export function eventData(text: string): string | undefined {
  let data: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
