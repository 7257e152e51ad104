import { describe, expect, it } from 'vitest';
import { overrideApplicability } from './override-conditions.ts';
import type { Pricing } from './pricing-schema.ts';
import { applyDiscount, possiblePricings, resolvePricing } from './resolve-pricing.ts';

const monday = (hhmm: string) => new Date(`2026-03-02T${hhmm}:00Z`); // 2026-03-02 is a Monday
const base: Pricing = { prompt: '0.000001', completion: '0.000002' };

describe('resolvePricing: overrides', () => {
  it('applies a context tier only strictly above min_prompt_tokens', () => {
    const pricing: Pricing = { ...base, overrides: [{ min_prompt_tokens: 200_000, prompt: '0.000002' }] };
    expect(resolvePricing(pricing, { promptTokens: 200_000, at: monday('12:00') }).prompt).toBe('0.000001');
    const above = resolvePricing(pricing, { promptTokens: 200_001, at: monday('12:00') });
    expect(above).toEqual({ prompt: '0.000002', completion: '0.000002' });
  });

  it('applies a UTC window half-open [start, end), HHMM numbers or text', () => {
    const pricing: Pricing = {
      ...base,
      overrides: [{ utc_start: 930, utc_end: '17:00', prompt: '0.0000005' }],
    };
    const price = (hhmm: string) => resolvePricing(pricing, { promptTokens: 10, at: monday(hhmm) }).prompt;
    expect(price('09:29')).toBe('0.000001');
    expect(price('09:30')).toBe('0.0000005');
    expect(price('16:59')).toBe('0.0000005');
    expect(price('17:00')).toBe('0.000001');
  });

  it('applies a window that wraps past midnight (DeepSeek-style off-peak 16:30–00:30)', () => {
    const pricing: Pricing = {
      ...base,
      overrides: [{ utc_start: 1630, utc_end: 30, prompt: '0.0000005', completion: '0.000001' }],
    };
    const price = (hhmm: string) => resolvePricing(pricing, { promptTokens: 10, at: monday(hhmm) }).prompt;
    expect(price('16:29')).toBe('0.000001');
    expect(price('16:30')).toBe('0.0000005');
    expect(price('23:59')).toBe('0.0000005');
    expect(price('00:00')).toBe('0.0000005');
    expect(price('00:29')).toBe('0.0000005');
    expect(price('00:30')).toBe('0.000001');
  });

  it('reads utc_days as names (any case, short) or numbers 0–6 from Sunday', () => {
    const at = monday('12:00');
    for (const utc_days of [['monday'], ['Mon'], [1], ['1'], ['sunday', 'MONDAY']]) {
      const pricing: Pricing = { ...base, overrides: [{ utc_days, prompt: '0.0000009' }] };
      expect(resolvePricing(pricing, { promptTokens: 1, at }).prompt).toBe('0.0000009');
    }
    for (const utc_days of [['tuesday'], [0], [7], ['sun']]) {
      const pricing: Pricing = { ...base, overrides: [{ utc_days, prompt: '0.0000009' }] };
      expect(resolvePricing(pricing, { promptTokens: 1, at }).prompt).toBe('0.000001');
    }
    const weekendNight: Pricing = {
      ...base,
      overrides: [{ utc_days: ['saturday', 'sunday'], utc_start: 2200, utc_end: 600, prompt: '0.0000001' }],
    };
    expect(
      resolvePricing(weekendNight, { promptTokens: 1, at: new Date('2026-03-07T23:00:00Z') }).prompt,
    ).toBe('0.0000001');
    expect(
      resolvePricing(weekendNight, { promptTokens: 1, at: new Date('2026-03-09T01:00:00Z') }).prompt,
    ).toBe('0.000001');
  });

  it('requires all conditions of an entry to match', () => {
    const pricing: Pricing = {
      ...base,
      overrides: [{ min_prompt_tokens: 1000, utc_start: 0, utc_end: 600, prompt: '0.0000003' }],
    };
    expect(resolvePricing(pricing, { promptTokens: 2000, at: monday('03:00') }).prompt).toBe('0.0000003');
    expect(resolvePricing(pricing, { promptTokens: 500, at: monday('03:00') }).prompt).toBe('0.000001');
    expect(resolvePricing(pricing, { promptTokens: 2000, at: monday('07:00') }).prompt).toBe('0.000001');
  });

  it('lets later matching entries win per key; absent keys inherit', () => {
    const pricing: Pricing = {
      ...base,
      input_cache_read: '0.0000001',
      overrides: [
        { min_prompt_tokens: 100, prompt: '0.000002', completion: '0.000004' },
        { min_prompt_tokens: 1000, prompt: '0.000003' },
        { min_prompt_tokens: 5000, completion: '0.000009' },
      ],
    };
    expect(resolvePricing(pricing, { promptTokens: 2000, at: monday('12:00') })).toEqual({
      prompt: '0.000003',
      completion: '0.000004',
      input_cache_read: '0.0000001',
    });
  });

  it('skips entries with unknown condition keys or unreadable condition values', () => {
    const pricing: Pricing = {
      ...base,
      overrides: [
        { region: 'eu', prompt: '0.000005' },
        { max_prompt_tokens: 10, prompt: '0.000006' },
        { utc_start: 2500, prompt: '0.000007' },
        { utc_days: ['someday'], prompt: '0.000008' },
        { video_token: '0.001', prompt: '0.0000004' },
      ],
    };
    expect(resolvePricing(pricing, { promptTokens: 1, at: monday('12:00') }).prompt).toBe('0.0000004');
    expect(overrideApplicability({ region: 'eu' }, { promptTokens: 1, at: monday('12:00') })).toBe('unknown');
  });
});

describe('resolvePricing: discount', () => {
  it('multiplies every price by (1 − discount) exactly, after overrides', () => {
    const pricing: Pricing = {
      prompt: '0.00000075',
      completion: '0.00000375',
      input_cache_read: '0.000000075',
      web_search: '0.014',
      discount: 0.15,
      overrides: [{ min_prompt_tokens: 10, completion: '0.0000001' }],
    };
    expect(resolvePricing(pricing, { promptTokens: 11, at: monday('12:00') })).toEqual({
      prompt: '0.0000006375',
      completion: '0.000000085',
      input_cache_read: '0.00000006375',
      web_search: '0.0119',
    });
  });

  it('is exact where floats are not (0.3 discount on 0.0000003)', () => {
    expect(0.0000003 * (1 - 0.3)).not.toBe(0.00000021);
    expect(applyDiscount({ prompt: '0.0000003' }, 0.3)).toEqual({ prompt: '0.00000021' });
    expect(applyDiscount({ prompt: '0.0000003' }, 1)).toEqual({ prompt: '0' });
    expect(applyDiscount({ prompt: '0.0000003' }, 0)).toEqual({ prompt: '0.0000003' });
  });
});

describe('possiblePricings', () => {
  const pricing: Pricing = {
    ...base,
    overrides: [
      { min_prompt_tokens: 1000, prompt: '0.000002' },
      { utc_start: 1200, utc_end: 1300, prompt: '0.0000005' },
    ],
  };
  it('covers every tier up to the prompt bound and every window the call may span', () => {
    const prompts = (max: number, hhmm: string, durationMs: number) =>
      possiblePricings(pricing, { maxPromptTokens: max, at: monday(hhmm), durationMs })
        .map((p) => p.prompt)
        .sort();
    expect(prompts(500, '10:00', 0)).toEqual(['0.000001']);
    expect(prompts(5000, '10:00', 0)).toEqual(['0.000001', '0.000002']);
    expect(prompts(500, '11:50', 15 * 60_000)).toEqual(['0.0000005', '0.000001']);
  });

  it('tries unreadable entries as applying', () => {
    const unknown: Pricing = { ...base, overrides: [{ region: 'eu', prompt: '0.000009' }] };
    const prompts = possiblePricings(unknown, { maxPromptTokens: 1, at: monday('10:00'), durationMs: 0 }).map(
      (p) => p.prompt,
    );
    expect(prompts.sort()).toEqual(['0.000001', '0.000009']);
  });
});
