import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One decoded SSE item: an event (its `data` lines joined by "\n") or a comment line. */
export type SseItem =
  | { type: 'event'; data: string; event?: string | undefined; id?: string | undefined }
  | { type: 'comment'; text: string };

export interface SseDecoderOptions {
  /**
   * Upper bound, in characters, on what may be buffered while waiting for a line or event to end
   * (a peer that never sends a newline must not grow memory without limit).
   * @default 33_554_432 (32 Mi characters: base64 images can arrive as one data line)
   */
  maxBufferSize?: number;
}

export type SseDecodeErrorCode = 'sse_buffer_overflow';

export class SseDecodeError extends Error {
  readonly code: SseDecodeErrorCode;
  constructor(code: SseDecodeErrorCode, message: string) {
    super(message);
    this.name = 'SseDecodeError';
    this.code = code;
  }
}

export interface SseDecoderEnd {
  /** Items completed by the end of input (see {@link SseDecoder.end}). */
  items: SseItem[];
  /** True when the input stopped in the middle of a line; that partial line was dropped. */
  discardedTail: boolean;
}

export interface SseDecoder {
  /** Decodes the next slice of bytes; slices may split lines and UTF-8 code points anywhere. */
  push(bytes: Uint8Array): SseItem[];
  /**
   * Signals the end of input. An event whose lines were all terminated but which lacks the final
   * blank line is still delivered (servers that close right after `data: [DONE]\n` are common);
   * an unterminated last line is dropped, as the SSE spec requires, and reported.
   */
  end(): SseDecoderEnd;
}

const DEFAULT_MAX_BUFFER = 32 * 1024 * 1024;

/**
 * Bytes → SSE items, wrapping eventsource-parser (which handles CR, LF and CRLF, including a CRLF
 * split across chunks, and a leading BOM). Pure: no I/O, no timers.
 */
export function createSseDecoder(options: SseDecoderOptions = {}): SseDecoder {
  const maxBufferSize = options.maxBufferSize ?? DEFAULT_MAX_BUFFER;
  const text = new TextDecoder('utf-8');
  let out: SseItem[] = [];
  let overflow = false;
  // Whether the last character fed ended a line: decides if end() may flush a pending event.
  let atLineStart = true;
  let ended = false;

  const parser: EventSourceParser = createParser({
    maxBufferSize,
    onEvent: (message) => {
      out.push({ type: 'event', data: message.data, event: message.event, id: message.id });
    },
    onComment: (comment) => {
      out.push({ type: 'comment', text: comment });
    },
    onError: (error) => {
      // Unknown fields and bad `retry` values are ignored, as browsers do; only overflow is fatal.
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
  });

  function feed(chunk: string): SseItem[] {
    if (chunk.length > 0) {
      parser.feed(chunk);
      const last = chunk.charCodeAt(chunk.length - 1);
      atLineStart = last === 10 || last === 13;
    }
    if (overflow) {
      throw new SseDecodeError(
        'sse_buffer_overflow',
        `SSE line or event exceeded ${maxBufferSize} characters without ending`,
      );
    }
    const items = out;
    out = [];
    return items;
  }

  return {
    push(bytes) {
      if (ended) throw new Error('SSE decoder already ended');
      return feed(text.decode(bytes, { stream: true }));
    },
    end() {
      if (ended) return { items: [], discardedTail: false };
      ended = true;
      const items = feed(text.decode());
      if (atLineStart) {
        // Two line feeds: the first may only complete a CRLF pair split at the very end.
        items.push(...feed('\n\n'));
        return { items, discardedTail: false };
      }
      return { items, discardedTail: true };
    },
  };
}

/** Async adapter: decodes a byte stream (e.g. an undici response body) into SSE items. */
export async function* decodeSseStream(
  source: AsyncIterable<Uint8Array>,
  options: SseDecoderOptions = {},
): AsyncGenerator<SseItem, SseDecoderEnd['discardedTail'], undefined> {
  const decoder = createSseDecoder(options);
  for await (const bytes of source) {
    yield* decoder.push(bytes);
  }
  const { items, discardedTail } = decoder.end();
  yield* items;
  return discardedTail;
}
