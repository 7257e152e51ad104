import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../shared/money.ts';
import { computeCost, isInsured } from './compute-cost.ts';
import { costFromUsage } from './cost-from-usage.ts';
import type { Pricing } from './pricing-schema.ts';
import type { UsageLike } from './usage.ts';

const FIXTURES = new URL('../shared/fixtures/', new URL('../../', import.meta.url));
const fixture = JSON.parse(readFileSync(new URL('chat-completion-gemini-flash.json', FIXTURES), 'utf8')) as {
  usage: UsageLike;
  choices: { finish_reason: string }[];
};

const at = new Date('2026-03-02T12:00:00Z');
const geminiFlash: Pricing = { prompt: '0.0000003', completion: '0.0000025' };
const usd = (text: string) => moneyFromUsd(text);

describe('computeCost', () => {
  it('reproduces the gemini-2.5-flash fixture exactly (reasoning inside completion, at completion price)', () => {
    const cost = computeCost(fixture.usage, geminiFlash, {
      at,
      finishReason: fixture.choices[0]?.finish_reason,
    });
    expect(cost.breakdown.prompt).toBe(usd('6e-07'));
    expect(cost.breakdown.completion + cost.breakdown.reasoning).toBe(usd('0.000905'));
    expect(cost.breakdown.reasoning).toBe(usd('0.00089'));
    expect(cost.total).toBe(usd('0.0009056'));
    expect(cost.violations).toEqual([]);
    const billed = costFromUsage(fixture.usage);
    expect(billed.known && billed.cost).toBe(cost.total);
  });

  it('treats internal_reasoning "0" (as /models often quotes it) as not priced separately', () => {
    const cost = computeCost(fixture.usage, { ...geminiFlash, internal_reasoning: '0' }, { at });
    expect(cost.total).toBe(usd('0.0009056'));
  });

  it('prices reasoning tokens at internal_reasoning when the model quotes one', () => {
    const pricing: Pricing = { ...geminiFlash, internal_reasoning: '0.000004' };
    const cost = computeCost(fixture.usage, pricing, { at });
    expect(cost.breakdown.completion).toBe(usd('0.000015')); // 6 visible tokens × 2.5/M
    expect(cost.breakdown.reasoning).toBe(usd('0.001424')); // 356 × 4/M
    expect(cost.total).toBe(usd('0.0000006') + usd('0.000015') + usd('0.001424'));
  });

  it('reproduces the §4.3 gpt-4o-mini example', () => {
    const usage: UsageLike = { prompt_tokens: 29, completion_tokens: 33, total_tokens: 62 };
    const cost = computeCost(usage, { prompt: '0.00000015', completion: '0.0000006' }, { at });
    expect(cost.breakdown.prompt).toBe(usd('0.00000435'));
    expect(cost.breakdown.completion).toBe(usd('0.0000198'));
    expect(cost.total).toBe(usd('0.00002415'));
  });

  it('prices cached reads and cache writes (5m and 1h) out of the prompt tokens', () => {
    const pricing: Pricing = {
      prompt: '0.000003',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      input_cache_write: '0.00000375',
      input_cache_write_1h: '0.000006',
    };
    const usage: UsageLike = {
      prompt_tokens: 10_000,
      completion_tokens: 100,
      prompt_tokens_details: { cached_tokens: 6000, cache_write_tokens: 3000 },
    };
    const fiveMinutes = computeCost(usage, pricing, { at });
    expect(fiveMinutes.breakdown.prompt).toBe(usd('0.003')); // 1000 uncached × 3/M
    expect(fiveMinutes.breakdown.cachedRead).toBe(usd('0.0018')); // 6000 × 0.3/M
    expect(fiveMinutes.breakdown.cacheWrite).toBe(usd('0.01125')); // 3000 × 3.75/M
    expect(fiveMinutes.breakdown.completion).toBe(usd('0.0015'));
    expect(fiveMinutes.total).toBe(usd('0.01755'));
    const oneHour = computeCost(usage, pricing, { at, cacheWriteTtl: '1h' });
    expect(oneHour.breakdown.cacheWrite).toBe(usd('0.018'));
  });

  it('prices cache tokens at the prompt price when the model has no cache prices', () => {
    const usage: UsageLike = {
      prompt_tokens: 100,
      completion_tokens: 0,
      prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 10 },
    };
    const cost = computeCost(usage, { prompt: '0.000001', completion: '0.000002' }, { at });
    expect(cost.breakdown.prompt + cost.breakdown.cachedRead + cost.breakdown.cacheWrite).toBe(usd('0.0001'));
  });

  it('adds the request fee, per-image fees and web searches (from usage by default)', () => {
    const pricing: Pricing = {
      prompt: '0',
      completion: '0',
      request: '0.005',
      image: '0.001238',
      web_search: '0.014',
    };
    const usage: UsageLike = {
      prompt_tokens: 10,
      completion_tokens: 1,
      server_tool_use_details: { web_search_requests: 2 },
    };
    const cost = computeCost(usage, pricing, { at, images: 3 });
    expect(cost.breakdown.request).toBe(usd('0.005'));
    expect(cost.breakdown.image).toBe(usd('0.003714'));
    expect(cost.breakdown.webSearch).toBe(usd('0.028'));
    expect(computeCost(usage, pricing, { at, webSearchRequests: 1 }).breakdown.webSearch).toBe(usd('0.014'));
  });

  it('prices input audio tokens at the audio price', () => {
    const usage: UsageLike = {
      prompt_tokens: 1000,
      completion_tokens: 0,
      prompt_tokens_details: { audio_tokens: 800 },
    };
    const cost = computeCost(
      usage,
      { prompt: '0.0000003', completion: '0.0000025', audio: '0.000001' },
      { at },
    );
    expect(cost.breakdown.prompt).toBe(usd('0.00006'));
    expect(cost.breakdown.audio).toBe(usd('0.0008'));
  });

  it('applies overrides by the usage prompt size and the discount exactly', () => {
    const pricing: Pricing = {
      prompt: '0.00000125',
      completion: '0.00001',
      discount: 0.15,
      overrides: [{ min_prompt_tokens: 200_000, prompt: '0.0000025', completion: '0.000015' }],
    };
    const small = computeCost({ prompt_tokens: 200_000, completion_tokens: 1000 }, pricing, { at });
    expect(small.total).toBe(usd('0.2125') + usd('0.0085')); // (0.25 + 0.01) × 0.85
    const large = computeCost({ prompt_tokens: 200_001, completion_tokens: 1000 }, pricing, { at });
    expect(large.pricing.prompt).toBe('0.000002125');
    expect(large.total).toBe(usd('0.425002125') + usd('0.01275'));
  });

  it('applies zero-completion insurance: no token charges, fees stay', () => {
    const pricing: Pricing = { prompt: '0.000001', completion: '0.000002', request: '0.001' };
    const empty: UsageLike = { prompt_tokens: 500, completion_tokens: 0 };
    for (const finishReason of [null, '', '  ']) {
      const cost = computeCost(empty, pricing, { at, finishReason });
      expect(cost.insured).toBe(true);
      expect(cost.total).toBe(usd('0.001'));
    }
    const errored = computeCost({ prompt_tokens: 500, completion_tokens: 20 }, pricing, {
      at,
      finishReason: 'error',
    });
    expect(errored.insured).toBe(true);
    expect(errored.total).toBe(usd('0.001'));
    // A stop with zero tokens, or an unknown finish reason, is charged.
    expect(computeCost(empty, pricing, { at, finishReason: 'stop' }).total).toBe(usd('0.0015'));
    expect(computeCost(empty, pricing, { at }).total).toBe(usd('0.0015'));
    expect(isInsured(5, null)).toBe(false);
  });

  it('flags broken counts and charges the reported tokens, never fewer', () => {
    const usage: UsageLike = {
      prompt_tokens: 10,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 20 },
      completion_tokens_details: { reasoning_tokens: 8 },
    };
    const cost = computeCost(usage, { prompt: '0.000001', completion: '0.000002' }, { at });
    expect(cost.violations.length).toBeGreaterThanOrEqual(2);
    expect(cost.breakdown.prompt).toBe(0n);
    expect(cost.breakdown.cachedRead).toBe(usd('0.00002'));
    expect(cost.breakdown.completion).toBe(0n);
    expect(cost.breakdown.reasoning).toBe(usd('0.000016'));
  });
});
