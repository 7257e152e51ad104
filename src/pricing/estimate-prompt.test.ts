import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  type ChatRequestLike,
  countInputImages,
  DEFAULT_PROMPT_ALLOWANCES,
  estimatePromptTokens,
  lowPromptTokenEstimate,
  tallyPrompt,
  textTokenEstimate,
  webSearchAllowance,
} from './estimate-prompt.ts';

const user = (content: unknown) => ({ role: 'user', content });

/** The estimate's definition, code point by code point: letters / 3, space runs past one / 4, else ⌈UTF-8 bytes / 2⌉. */
function definitionalEstimate(text: string): number {
  let tokens = 0;
  let letters = 0;
  let spaces = 0;
  const flush = () => {
    tokens += Math.ceil(letters / 3) + (spaces > 1 ? Math.ceil(spaces / 4) : 0);
    letters = 0;
    spaces = 0;
  };
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const isLetter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (isLetter && spaces === 0) letters += 1;
    else if (code === 32 && letters === 0) spaces += 1;
    else {
      flush();
      if (isLetter) letters = 1;
      else if (code === 32) spaces = 1;
      else tokens += Math.ceil(Buffer.byteLength(char, 'utf8') / 2);
    }
  }
  flush();
  return tokens;
}

describe('estimatePromptTokens', () => {
  it('is deterministic and above real token counts for ordinary text', () => {
    // cl100k / o200k counts: 10 for the pangram, 2 for "hello world", 6 for the Russian greeting.
    expect(textTokenEstimate('The quick brown fox jumps over the lazy dog.')).toBeGreaterThanOrEqual(10);
    expect(textTokenEstimate('hello world')).toBeGreaterThanOrEqual(2);
    expect(textTokenEstimate('Привет! Чем могу помочь?')).toBeGreaterThanOrEqual(12);
    expect(textTokenEstimate('2026-03-02 12:34:56')).toBeGreaterThanOrEqual(18); // a token per digit and mark
    expect(textTokenEstimate('你好，世界')).toBeGreaterThanOrEqual(5);
    const request: ChatRequestLike = { messages: [user('Summarise: the ledger keeps one row per request.')] };
    expect(estimatePromptTokens(request)).toBe(estimatePromptTokens(request));
  });

  it('counts exactly as its definition on random text, emoji and lone surrogates included', () => {
    const pieces = [
      'a',
      'Z',
      'q',
      ' ',
      '  ',
      '\n',
      '7',
      ',',
      'é',
      'Ж',
      '日',
      '😀',
      '\ud800',
      '\udc00',
      '\u00a0',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 500; round++) {
      let text = '';
      const length = Math.floor(next() * 60);
      for (let i = 0; i < length; i++) text += pieces[Math.floor(next() * pieces.length)];
      expect(textTokenEstimate(text), JSON.stringify(text)).toBe(definitionalEstimate(text));
    }
  });

  it('counts every message, content part, tool call, tool definition and the response schema', () => {
    const base: ChatRequestLike = { messages: [user('What is the weather in Boston?')] };
    const baseline = estimatePromptTokens(base);
    const withSystem = estimatePromptTokens({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        ...(base.messages ?? []),
      ],
    });
    expect(withSystem).toBeGreaterThan(baseline);
    const tool = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    };
    const withTool = estimatePromptTokens({ ...base, tools: [tool] });
    expect(withTool - baseline).toBeGreaterThanOrEqual(textTokenEstimate(JSON.stringify(tool)));
    const schema = { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } };
    expect(estimatePromptTokens({ ...base, response_format: schema })).toBeGreaterThan(baseline);
    const toolTurn = estimatePromptTokens({
      messages: [
        ...(base.messages ?? []),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Boston"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 21}' },
      ],
    });
    expect(toolTurn).toBeGreaterThan(baseline + 20);
  });

  it('counts images, files, audio and video at fixed allowances, not by their bytes', () => {
    const dataUrl = `data:image/png;base64,${Buffer.alloc(300_000).toString('base64')}`;
    const request: ChatRequestLike = {
      messages: [
        user([
          { type: 'text', text: 'Describe' },
          { type: 'image_url', image_url: { url: dataUrl } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' } },
          { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          { type: 'video_url', video_url: { url: 'https://example.com/v.mp4' } },
        ]),
      ],
    };
    const textOnly = estimatePromptTokens({ messages: [user([{ type: 'text', text: 'Describe' }])] });
    const a = DEFAULT_PROMPT_ALLOWANCES;
    expect(estimatePromptTokens(request) - textOnly).toBe(
      2 * a.imageTokens + a.fileTokens + a.audioTokens + a.videoTokens,
    );
    expect(
      estimatePromptTokens(request, { imageTokens: 100, fileTokens: 0, audioTokens: 0, videoTokens: 0 }),
    ).toBe(textOnly + 200);
    expect(countInputImages(request)).toBe(2);
  });

  it('counts input images as the prompt tally does, content given as a list or as one part', () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png' } };
    const request: ChatRequestLike = {
      messages: [
        user([image, { type: 'text', text: 'and' }, image]),
        user(image),
        user('plain text'),
        'not a message',
        { role: 'assistant', content: null, tool_calls: [{ type: 'image_url' }] },
      ],
      tools: [{ type: 'function', function: { name: 'image_url' } }],
    };
    expect(countInputImages(request)).toBe(3);
    expect(countInputImages(request)).toBe(tallyPrompt(request).images);
  });

  it("'strict' counts a token per UTF-8 byte of text", () => {
    const text = 'x7Qp9ZrK2mWv8LbN4tYh'; // high-entropy text, the case the typical count can miss
    const request: ChatRequestLike = { messages: [user(text)] };
    expect(estimatePromptTokens(request, { bound: 'strict' })).toBeGreaterThanOrEqual(
      Buffer.byteLength(text),
    );
    expect(estimatePromptTokens(request, { bound: 'strict' })).toBeGreaterThan(estimatePromptTokens(request));
  });

  it('adds an allowance for web search results the request may pull into the prompt', () => {
    const base: ChatRequestLike = { model: 'openai/gpt-4o', messages: [user('news?')] };
    expect(webSearchAllowance(base)).toBe(0);
    expect(webSearchAllowance({ ...base, model: 'openai/gpt-4o:online' })).toBe(1);
    expect(webSearchAllowance({ ...base, plugins: [{ id: 'web', max_uses: 3 }] })).toBe(3);
    expect(webSearchAllowance({ ...base, plugins: [{ id: 'web', enabled: false }] })).toBe(0);
    expect(webSearchAllowance({ ...base, tools: [{ type: 'openrouter:web_search' }] })).toBe(5);
    expect(estimatePromptTokens({ ...base, plugins: [{ id: 'web' }] }) - estimatePromptTokens(base)).toBe(
      DEFAULT_PROMPT_ALLOWANCES.webSearchResultTokens,
    );
  });

  it('has a low estimate below the conservative one', () => {
    const request: ChatRequestLike = {
      messages: [user('The quick brown fox jumps over the lazy dog. '.repeat(20))],
    };
    expect(lowPromptTokenEstimate(request)).toBeGreaterThan(0);
    expect(lowPromptTokenEstimate(request)).toBeLessThan(estimatePromptTokens(request) / 3);
    expect(lowPromptTokenEstimate({ messages: [] })).toBe(0);
  });
});
