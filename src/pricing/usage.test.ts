import { describe, expect, it } from 'vitest';
import { normalizeTokens } from './usage.ts';

describe('normalizeTokens', () => {
  it('reads the counts, cached inside prompt and reasoning inside completion', () => {
    expect(
      normalizeTokens({
        prompt_tokens: 194,
        completion_tokens: 362,
        prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 50, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 356 },
      }),
    ).toEqual({
      promptTokens: 194,
      cachedTokens: 100,
      cacheWriteTokens: 50,
      audioTokens: 0,
      completionTokens: 362,
      reasoningTokens: 356,
      violations: [],
    });
    expect(
      normalizeTokens({ prompt_tokens: 1, completion_tokens: 2, prompt_tokens_details: null }).violations,
    ).toEqual([]);
  });

  it('flags inconsistent counts without fixing them', () => {
    const tokens = normalizeTokens({
      prompt_tokens: 10,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 11, cache_write_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 6 },
    });
    expect(tokens.cachedTokens).toBe(11);
    expect(tokens.reasoningTokens).toBe(6);
    expect(tokens.violations).toEqual([
      'cached_tokens (11) exceed prompt_tokens (10)',
      'cached_tokens + cache_write_tokens (11 + 2) exceed prompt_tokens (10)',
      'reasoning_tokens (6) exceed completion_tokens (5)',
    ]);
    const writes = normalizeTokens({
      prompt_tokens: 10,
      completion_tokens: 0,
      prompt_tokens_details: { cached_tokens: 6, cache_write_tokens: 5 },
    });
    expect(writes.violations).toEqual([
      'cached_tokens + cache_write_tokens (6 + 5) exceed prompt_tokens (10)',
    ]);
  });

  it('flags negatives, fractions, non-numbers and missing required counts', () => {
    const tokens = normalizeTokens({ prompt_tokens: -3, completion_tokens: 2.5 });
    expect(tokens.promptTokens).toBe(-3);
    expect(tokens.completionTokens).toBe(2.5);
    expect(tokens.violations).toEqual([
      'prompt_tokens is negative: -3',
      'completion_tokens is not an integer: 2.5',
    ]);
    const odd = normalizeTokens({ prompt_tokens: Number.POSITIVE_INFINITY } as never);
    expect(odd.violations).toEqual([
      'prompt_tokens is not a finite number: null',
      'completion_tokens is missing',
    ]);
    expect(normalizeTokens(undefined).violations).toEqual([
      'prompt_tokens is missing',
      'completion_tokens is missing',
    ]);
  });
});
