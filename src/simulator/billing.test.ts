import { describe, expect, it } from 'vitest';
import {
  basePrices,
  computeCharge,
  effectivePrices,
  isInsured,
  overrideApplies,
  type TokenUsage,
} from './billing.ts';
import type { Pricing } from './catalogue-types.ts';
import { formatUsd, parseUsd, usdToNumber } from './decimal.ts';

const usage = (u: Partial<TokenUsage>): TokenUsage => ({
  promptTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
  images: 0,
  ...u,
});

function charge(
  pricing: Pricing,
  u: Partial<TokenUsage>,
  options = { byok: false, insured: false },
  atMs = Date.UTC(2026, 0, 5, 12),
) {
  const full = usage(u);
  return computeCharge(full, effectivePrices(pricing, basePrices(pricing), full.promptTokens, atMs), options);
}

describe('exact decimals', () => {
  it('parses decimal strings, exponents and numbers exactly', () => {
    expect(formatUsd(parseUsd('0.00000075'))).toBe('0.00000075');
    expect(formatUsd(parseUsd('6e-07'))).toBe('0.0000006');
    expect(formatUsd(parseUsd(0.0009056))).toBe('0.0009056');
    expect(formatUsd(parseUsd('-1'))).toBe('-1');
    expect(formatUsd(parseUsd('12.5'))).toBe('12.5');
    expect(usdToNumber(parseUsd('0.0000219'))).toBe(0.0000219);
    expect(() => parseUsd('abc')).toThrow(RangeError);
  });

  it('adds without float drift', () => {
    let total = 0n;
    for (let i = 0; i < 10; i++) total += parseUsd('0.1');
    expect(formatUsd(total)).toBe('1');
  });
});

describe('billing', () => {
  it('reproduces the fixture: 2 prompt + 362 completion (356 reasoning) on Gemini 2.5 Flash', () => {
    const c = charge(
      { prompt: '0.0000003', completion: '0.0000025' },
      { promptTokens: 2, completionTokens: 362, reasoningTokens: 356 },
    );
    expect(formatUsd(c.promptCost)).toBe('0.0000006');
    expect(formatUsd(c.completionCost)).toBe('0.000905');
    expect(usdToNumber(c.charged)).toBe(0.0009056);
  });

  it('prices cached reads, cache writes, images and the request fee', () => {
    const pricing: Pricing = {
      prompt: '0.000003',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      input_cache_write: '0.00000375',
      image: '0.0048',
      request: '0.005',
    };
    const c = charge(pricing, {
      promptTokens: 3000,
      cachedTokens: 1000,
      cacheWriteTokens: 1500,
      completionTokens: 100,
      images: 2,
    });
    // 500 uncached × 3e-6 + 1000 × 3e-7 + 1500 × 3.75e-6 + 0.005 + 2 × 0.0048 = 0.0015 + 0.0003 + 0.005625 + 0.005 + 0.0096
    expect(formatUsd(c.promptCost)).toBe('0.022025');
    expect(formatUsd(c.completionCost)).toBe('0.0015');
    expect(formatUsd(c.fullCost)).toBe('0.023525');
    // saving on reads minus the extra for writes, against the uncached price
    expect(formatUsd(c.cacheDiscount ?? 0n)).toBe(
      formatUsd(2500n * parseUsd('0.000003') - parseUsd('0.0003') - parseUsd('0.005625')),
    );
  });

  it('bills reasoning tokens at internal_reasoning when the model prices it, else at the completion price', () => {
    const withKey = charge(
      { prompt: '0.0000003', completion: '0.0000005', internal_reasoning: '0.0000004' },
      { completionTokens: 100, reasoningTokens: 60 },
    );
    expect(formatUsd(withKey.completionCost)).toBe(
      formatUsd(40n * parseUsd('0.0000005') + 60n * parseUsd('0.0000004')),
    );
    const without = charge(
      { prompt: '0.0000003', completion: '0.0000005' },
      { completionTokens: 100, reasoningTokens: 60 },
    );
    expect(formatUsd(without.completionCost)).toBe('0.00005');
  });

  it('applies the discount to every price', () => {
    const c = charge(
      { prompt: '0.00000013', completion: '0.0000004', discount: 0.25 },
      { promptTokens: 1000, completionTokens: 1000 },
    );
    expect(formatUsd(c.promptCost)).toBe('0.0000975');
    expect(formatUsd(c.completionCost)).toBe('0.0003');
  });

  it('applies a context-tier override only when the prompt is strictly longer than min_prompt_tokens', () => {
    const pricing: Pricing = {
      prompt: '0.000003',
      completion: '0.000015',
      overrides: [{ min_prompt_tokens: 200000, prompt: '0.000006', completion: '0.0000225' }],
    };
    expect(formatUsd(charge(pricing, { promptTokens: 200000 }).promptCost)).toBe('0.6');
    expect(formatUsd(charge(pricing, { promptTokens: 200001, completionTokens: 2 }).promptCost)).toBe(
      '1.200006',
    );
    expect(formatUsd(charge(pricing, { promptTokens: 200001, completionTokens: 2 }).completionCost)).toBe(
      '0.000045',
    );
  });

  it('evaluates time-window and weekday overrides, skipping entries with unknown conditions', () => {
    const night = { utc_start: 2200, utc_end: 600, prompt: '0.000001' };
    expect(overrideApplies(night, 0, Date.UTC(2026, 0, 5, 23, 30))).toBe(true);
    expect(overrideApplies(night, 0, Date.UTC(2026, 0, 5, 5, 59))).toBe(true);
    expect(overrideApplies(night, 0, Date.UTC(2026, 0, 5, 6, 0))).toBe(false);
    expect(overrideApplies({ utc_days: ['monday'], prompt: '0' }, 0, Date.UTC(2026, 0, 5, 12))).toBe(true); // a Monday
    expect(overrideApplies({ utc_days: ['tuesday'], prompt: '0' }, 0, Date.UTC(2026, 0, 5, 12))).toBe(false);
    expect(overrideApplies({ min_prompt_tokens: 1, region: 'eu', prompt: '0' }, 10, 0)).toBe(false);
    const later = charge(
      {
        prompt: '0.000003',
        completion: '0',
        overrides: [
          { min_prompt_tokens: 1, prompt: '0.000002' },
          { min_prompt_tokens: 5, prompt: '0.000001' },
        ],
      },
      { promptTokens: 10 },
    );
    expect(formatUsd(later.promptCost)).toBe('0.00001');
  });

  it('charges BYOK calls a 5% fee and reports the full price upstream', () => {
    const c = charge(
      { prompt: '0.00000015', completion: '0.0000006' },
      { promptTokens: 29, completionTokens: 33 },
      { byok: true, insured: false },
    );
    expect(formatUsd(c.fullCost)).toBe('0.00002415');
    expect(formatUsd(c.charged)).toBe('0.0000012075');
    expect(c.isByok).toBe(true);
  });

  it('gives zero-completion insurance (§12.4)', () => {
    expect(isInsured('error', 10)).toBe(true);
    expect(isInsured('stop', 0)).toBe(true);
    expect(isInsured(null, 3)).toBe(false);
    const c = charge(
      { prompt: '0.000001', completion: '0.000001', request: '0.01' },
      { promptTokens: 100 },
      { byok: false, insured: true },
    );
    expect(c.charged).toBe(0n);
    expect(c.fullCost).toBe(0n);
  });
});
