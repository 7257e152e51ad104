import { describe, expect, it } from 'vitest';
import {
  analyzeMessages,
  countTextTokens,
  FILE_PART_TOKENS,
  IMAGE_PART_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_PRIMING_TOKENS,
} from './tokenizer.ts';

describe('tokenizer', () => {
  it('counts about four characters per token, rounding up', () => {
    expect(countTextTokens('')).toBe(0);
    expect(countTextTokens('abc')).toBe(1);
    expect(countTextTokens('abcd')).toBe(1);
    expect(countTextTokens('abcde')).toBe(2);
    expect(countTextTokens('x'.repeat(4000))).toBe(1000);
  });

  it('counts every message part, with fixed costs for media and framing per message', () => {
    const stats = analyzeMessages(
      [
        { role: 'system', content: 'You are terse.' }, // 14 chars → 4
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' }, // 24 → 6
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' } },
          ],
        },
      ],
      10,
    );
    expect(stats.tokens).toBe(
      2 * MESSAGE_OVERHEAD_TOKENS + 4 + 6 + IMAGE_PART_TOKENS + FILE_PART_TOKENS + REPLY_PRIMING_TOKENS + 10,
    );
    expect(stats.images).toBe(1);
    expect(stats.files).toBe(1);
    expect(stats.lastRole).toBe('user');
    expect(stats.lastText).toBe('What is in this picture?');
    expect(stats.boundaries.map((b) => b.tokens)).toEqual([
      MESSAGE_OVERHEAD_TOKENS + 4,
      2 * MESSAGE_OVERHEAD_TOKENS + 4 + 6 + IMAGE_PART_TOKENS + FILE_PART_TOKENS,
    ]);
  });

  it('counts assistant tool calls and names, and notices cache_control markers', () => {
    const stats = analyzeMessages(
      [
        {
          role: 'user',
          name: 'alice',
          content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'sunny' },
      ],
      0,
    );
    expect(stats.cacheControl).toBe(true);
    expect(stats.lastRole).toBe('tool');
    // alice 2 + hi 1 + f{"a":1} 2 + sunny 2, plus framing
    expect(stats.tokens).toBe(3 * MESSAGE_OVERHEAD_TOKENS + 2 + 1 + 2 + 2 + REPLY_PRIMING_TOKENS);
  });

  it('hashes content so equal prompts share prefixes and different ones do not', () => {
    const a = analyzeMessages(
      [
        { role: 'system', content: 'same' },
        { role: 'user', content: 'one' },
      ],
      0,
    );
    const b = analyzeMessages(
      [
        { role: 'system', content: 'same' },
        { role: 'user', content: 'two' },
      ],
      0,
    );
    expect(a.boundaries[0]?.hash).toBe(b.boundaries[0]?.hash);
    expect(a.boundaries[1]?.hash).not.toBe(b.boundaries[1]?.hash);
    expect(a.hash).not.toBe(b.hash);
  });
});
