/**
 * Server-Sent Events framing, the writing half. Pure string building: the simulator and the
 * gateway both emit `data: <json>\n\n` frames, `: comment` keep-alives and the `[DONE]` terminator
 * the way OpenRouter does.
 */

/** The frame that ends an OpenRouter chat stream. */
export const SSE_DONE_FRAME = 'data: [DONE]\n\n';

/**
 * One `data:` event. A string is sent as is (split on line breaks, since a raw newline would end
 * the field early); anything else is JSON-encoded, which never contains a raw newline.
 */
export function encodeSseData(data: unknown): string {
  if (typeof data !== 'string') return `data: ${JSON.stringify(data)}\n\n`;
  if (!/[\r\n]/.test(data)) return `data: ${data}\n\n`;
  return `${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/** A comment line (`: text`), which every SSE parser ignores; used as a keep-alive. */
export function encodeSseComment(text: string): string {
  return `${text
    .split(/\r\n|\r|\n/)
    .map((line) => (line === '' ? ':' : `: ${line}`))
    .join('\n')}\n\n`;
}

/** A named event with optional id, for APIs (e.g. Responses) whose streams use `event:`. */
export function encodeSseEvent(event: { event?: string; id?: string; data: unknown }): string {
  let head = '';
  if (event.event !== undefined) head += `event: ${stripLineBreaks(event.event)}\n`;
  if (event.id !== undefined) head += `id: ${stripLineBreaks(event.id)}\n`;
  return head + encodeSseData(event.data);
}

function stripLineBreaks(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
