import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseDecoder, decodeSseStream, SseDecodeError, type SseItem } from './decoder.ts';

const REPO_ROOT = new URL('../../../', import.meta.url);
const FIXTURES = new URL('../shared/fixtures/', REPO_ROOT);

interface Completion {
  id: string;
  provider: string;
  model: string;
  created: number;
  choices: { message: { content: string }; finish_reason: string; native_finish_reason: string }[];
  usage: unknown;
}
const completion = JSON.parse(
  readFileSync(new URL('chat-completion-gemini-flash.json', FIXTURES), 'utf8'),
) as Completion;
const content = completion.choices[0]?.message.content ?? '';
// Tokens of up to four code points of the (Cyrillic, multi-byte) fixture text: every byte
// boundary still falls inside code points, lines and CRLF pairs, at a size that stays fast.
const tokens = content.match(/.{1,4}/gu) ?? [];

/** The fixture completion re-encoded as the SSE stream OpenRouter would send. */
function fixtureStream(eol: '\n' | '\r\n' | '\r'): string {
  const head = { id: completion.id, provider: completion.provider, model: completion.model };
  const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}${eol}${eol}`;
  const parts = [`: OPENROUTER PROCESSING${eol}${eol}`];
  tokens.forEach((token, i) => {
    const last = i === tokens.length - 1;
    parts.push(
      frame({
        ...head,
        object: 'chat.completion.chunk',
        choices: [
          { index: 0, delta: { role: 'assistant', content: token }, finish_reason: last ? 'stop' : null },
        ],
      }),
    );
    if (i === 1) parts.push(`: OPENROUTER PROCESSING${eol}`);
  });
  parts.push(
    frame({
      ...head,
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }],
      usage: completion.usage,
    }),
  );
  parts.push(`data: [DONE]${eol}${eol}`);
  return parts.join('');
}

function decodeSlices(bytes: Uint8Array, cuts: number[]): { items: SseItem[]; discardedTail: boolean } {
  const decoder = createSseDecoder();
  const items: SseItem[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    items.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  items.push(...decoder.push(bytes.subarray(start)));
  const end = decoder.end();
  return { items: [...items, ...end.items], discardedTail: end.discardedTail };
}

function summarize(items: SseItem[]) {
  let text = '';
  let events = 0;
  let comments = 0;
  let done = 0;
  let usage = 0;
  for (const item of items) {
    if (item.type === 'comment') {
      if (item.text === 'OPENROUTER PROCESSING') comments++;
      continue;
    }
    events++;
    if (item.data === '[DONE]') {
      done++;
      continue;
    }
    const chunk = JSON.parse(item.data) as { choices: { delta: { content: string } }[]; usage?: unknown };
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) usage++;
  }
  return { text, events, comments, done, usage };
}

const expected = { text: content, events: tokens.length + 2, comments: 2, done: 1, usage: 1 };

describe('SSE decoder', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    it(`${name}: splitting at every byte boundary loses and duplicates nothing`, () => {
      const bytes = new TextEncoder().encode(fixtureStream(eol));
      expect(summarize(decodeSlices(bytes, []).items)).toEqual(expected);
      const failures: number[] = [];
      for (let cut = 0; cut <= bytes.length; cut++) {
        const { items, discardedTail } = decodeSlices(bytes, [cut]);
        // Compare cheaply in the loop and report every failing cut at once.
        if (discardedTail || JSON.stringify(summarize(items)) !== JSON.stringify(expected))
          failures.push(cut);
      }
      expect(failures).toEqual([]);
    });
  }

  it('random multi-splits (property)', () => {
    const framings = ['\n', '\r\n', '\r'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...framings), fc.array(fc.nat(), { maxLength: 40 }), (eol, rawCuts) => {
        const bytes = new TextEncoder().encode(fixtureStream(eol));
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        expect(summarize(decodeSlices(bytes, cuts).items)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time, through the async adapter', async () => {
    const bytes = new TextEncoder().encode(fixtureStream('\r\n'));
    async function* oneByOne() {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    }
    const items: SseItem[] = [];
    for await (const item of decodeSseStream(oneByOne())) items.push(item);
    expect(summarize(items)).toEqual(expected);
  });

  it('delivers a final event whose blank line never came', () => {
    const decoder = createSseDecoder();
    expect(decoder.push(new TextEncoder().encode('data: a\n\ndata: [DONE]\r'))).toEqual([
      { type: 'event', data: 'a', event: undefined, id: undefined },
    ]);
    expect(decoder.end()).toEqual({
      items: [{ type: 'event', data: '[DONE]', event: undefined, id: undefined }],
      discardedTail: false,
    });
  });

  it('drops and reports an unterminated last line', () => {
    const decoder = createSseDecoder();
    decoder.push(new TextEncoder().encode('data: {"id":"gen-1"}\n\ndata: {"id":"ge'));
    expect(decoder.end()).toEqual({ items: [], discardedTail: true });
  });

  it('joins multi-line data, keeps event names and ids, strips a BOM', () => {
    const decoder = createSseDecoder();
    const items = decoder.push(new TextEncoder().encode('\uFEFFevent: x\nid: 7\ndata: a\ndata: b\n\n'));
    expect(items).toEqual([{ type: 'event', data: 'a\nb', event: 'x', id: '7' }]);
  });

  it('bounds its buffer', () => {
    const decoder = createSseDecoder({ maxBufferSize: 64 });
    expect(() => decoder.push(new TextEncoder().encode(`data: ${'x'.repeat(100)}`))).toThrow(SseDecodeError);
  });

  it('a code point split across pushes decodes once', () => {
    const bytes = new TextEncoder().encode('data: П\n\n');
    const decoder = createSseDecoder();
    expect(decoder.push(bytes.subarray(0, 7))).toEqual([]);
    expect(decoder.push(bytes.subarray(7))).toEqual([
      { type: 'event', data: 'П', event: undefined, id: undefined },
    ]);
  });
});
