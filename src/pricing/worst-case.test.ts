import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../shared/money.ts';
import { COST_COMPONENTS, computeCost } from './compute-cost.ts';
import {
  type ChatRequestLike,
  countInputImages,
  estimatePromptTokens,
  lowPromptTokenEstimate,
} from './estimate-prompt.ts';
import type { Pricing, PricingOverride } from './pricing-schema.ts';
import { cheapestOutcomeCost, maxOutputTokens, maxPriceForProvider, worstCaseCost } from './worst-case.ts';

const at = new Date('2026-03-02T12:00:00Z');
const usd = (text: string) => moneyFromUsd(text);
const margin = BigInt(COST_COMPONENTS.length);
const request: ChatRequestLike = { messages: [{ role: 'user', content: 'Summarise the quarterly report.' }] };

describe('worstCaseCost', () => {
  it('is prompt estimate × input price + output cap × output price + fees', () => {
    const pricing: Pricing = { prompt: '0.000001', completion: '0.000002', request: '0.0001' };
    const estimate = estimatePromptTokens(request);
    const worst = worstCaseCost({ ...request, max_tokens: 1000 }, pricing, { at, defaultMaxTokens: 4096 });
    expect(worst).toBe(usd('0.000001') * BigInt(estimate) + usd('0.002') + usd('0.0001') + margin);
    const byDefault = worstCaseCost(request, pricing, { at, defaultMaxTokens: 4096, promptTokens: 100 });
    expect(byDefault).toBe(usd('0.0001') + usd('0.008192') + usd('0.0001') + margin);
  });

  it('takes the larger of max_tokens and max_completion_tokens, else the default', () => {
    expect(maxOutputTokens({ max_tokens: 10, max_completion_tokens: 20 }, 5)).toBe(20);
    expect(maxOutputTokens({ max_tokens: null, max_completion_tokens: 30 }, 5)).toBe(30);
    expect(maxOutputTokens({}, 5)).toBe(5);
  });

  it('uses the highest input and output prices (cache writes, internal reasoning)', () => {
    const pricing: Pricing = {
      prompt: '0.000003',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      input_cache_write: '0.00000375',
      input_cache_write_1h: '0.000006',
      internal_reasoning: '0.00002',
    };
    const worst = worstCaseCost({ ...request, max_tokens: 100 }, pricing, {
      at,
      defaultMaxTokens: 0,
      promptTokens: 1000,
    });
    expect(worst).toBe(usd('0.006') + usd('0.002') + margin);
  });

  it('considers overrides that could apply: larger prompts and windows the call may reach', () => {
    const pricing: Pricing = {
      prompt: '0.000001',
      completion: '0.000002',
      overrides: [
        { min_prompt_tokens: 200_000, prompt: '0.000002' },
        { utc_start: 1210, utc_end: 1300, completion: '0.00001' },
      ],
    };
    const options = { at, defaultMaxTokens: 1000 };
    expect(worstCaseCost(request, pricing, { ...options, promptTokens: 200_000, durationMs: 0 })).toBe(
      usd('0.2') + usd('0.002') + margin,
    );
    expect(worstCaseCost(request, pricing, { ...options, promptTokens: 200_001, durationMs: 0 })).toBe(
      usd('0.400002') + usd('0.002') + margin,
    );
    // Starting at 12:00, a call of up to 15 minutes may be priced inside the 12:10 window.
    expect(worstCaseCost(request, pricing, { ...options, promptTokens: 0 })).toBe(usd('0.01') + margin);
  });

  it('adds per-image fees and web searches the request allows', () => {
    const pricing: Pricing = { prompt: '0', completion: '0', image: '0.001', web_search: '0.01' };
    const withMedia: ChatRequestLike = {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png' } }] }],
      plugins: [{ id: 'web', max_uses: 2 }],
    };
    expect(worstCaseCost(withMedia, pricing, { at, defaultMaxTokens: 10 })).toBe(usd('0.021') + margin);
  });

  it('is never below the actual cost for usage within the estimate and the output cap', () => {
    const price = fc.integer({ min: 0, max: 200_000 }).map((n) => `${n}e-11`);
    const hhmm = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => h * 100 + m);
    const override: fc.Arbitrary<PricingOverride> = fc.record(
      {
        min_prompt_tokens: fc.integer({ min: 0, max: 3000 }),
        utc_start: hhmm,
        utc_end: hhmm,
        utc_days: fc.subarray(['monday', 'tuesday', 'saturday', 'sunday']),
        prompt: price,
        completion: price,
        input_cache_read: price,
        internal_reasoning: price,
      },
      { requiredKeys: [] },
    );
    const pricing: fc.Arbitrary<Pricing> = fc.record(
      {
        prompt: price,
        completion: price,
        request: price,
        image: price,
        audio: price,
        internal_reasoning: price,
        input_cache_read: price,
        input_cache_write: price,
        input_cache_write_1h: price,
        discount: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
        overrides: fc.array(override, { maxLength: 3 }),
      },
      { requiredKeys: ['prompt', 'completion'] },
    );
    const part = fc.oneof(
      fc.string({ maxLength: 80 }).map((text) => ({ type: 'text', text })),
      fc.constant({ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }),
    );
    const message = fc.record({
      role: fc.constantFrom('system', 'user', 'assistant'),
      content: fc.oneof(fc.string({ maxLength: 400, unit: 'grapheme' }), fc.array(part, { maxLength: 3 })),
    });
    const chat: fc.Arbitrary<ChatRequestLike> = fc.record(
      {
        messages: fc.array(message, { minLength: 1, maxLength: 4 }),
        max_tokens: fc.integer({ min: 1, max: 5000 }),
      },
      { requiredKeys: ['messages'] },
    );
    const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 });
    fc.assert(
      fc.property(
        chat,
        pricing,
        fractions,
        fc.integer({ min: 0, max: 14 * 60_000 }),
        fc.date({
          min: new Date('2026-01-01T00:00:00Z'),
          max: new Date('2027-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom<'5m' | '1h'>('5m', '1h'),
        fc.constantFrom<string | null | undefined>(undefined, null, '', 'stop', 'length', 'error'),
        (req, model, f, delayMs, start, cacheWriteTtl, finishReason) => {
          const defaultMaxTokens = 2048;
          const promptBound = estimatePromptTokens(req);
          const outputBound = maxOutputTokens(req, defaultMaxTokens);
          const pick = (i: number, bound: number) => Math.floor((f[i] ?? 0) * bound);
          const prompt = pick(0, promptBound);
          const cached = pick(1, prompt);
          const written = pick(2, prompt - cached);
          const audio = pick(3, prompt - cached - written);
          const completion = pick(4, outputBound);
          const reasoning = pick(5, completion);
          const usage = {
            prompt_tokens: prompt,
            completion_tokens: completion,
            prompt_tokens_details: {
              cached_tokens: cached,
              cache_write_tokens: written,
              audio_tokens: audio,
            },
            completion_tokens_details: { reasoning_tokens: reasoning },
          };
          const actual = computeCost(usage, model, {
            at: new Date(start.getTime() + delayMs),
            images: countInputImages(req),
            cacheWriteTtl,
            finishReason,
          });
          const worst = worstCaseCost(req, model, { at: start, defaultMaxTokens });
          const cheapest = cheapestOutcomeCost(req, model, { at: start });
          return worst >= actual.total && cheapest <= worst;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('cheapestOutcomeCost', () => {
  it('is the low prompt estimate at the lowest input price, no output, plus fees', () => {
    const long: ChatRequestLike = { messages: [{ role: 'user', content: 'word '.repeat(600) }] };
    const pricing: Pricing = {
      prompt: '0.000003',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      request: '0.001',
    };
    const low = lowPromptTokenEstimate(long);
    expect(low).toBe(201); // ('user' + 'word' × 600) = 2404 non-blank bytes / 12, rounded up
    expect(cheapestOutcomeCost(long, pricing, { at })).toBe(usd('0.0000003') * 201n + usd('0.001'));
    expect(cheapestOutcomeCost(long, pricing, { at })).toBeLessThan(
      worstCaseCost(long, pricing, { at, defaultMaxTokens: 0 }),
    );
  });
});

describe('maxPriceForProvider', () => {
  const reference: Pricing = { prompt: '0.00000015', completion: '0.0000006' };

  it('scales the reference prices so the token counts cost at most the cap', () => {
    const cap = usd('0.001');
    const limits = maxPriceForProvider(cap, { promptTokens: 1000, completionTokens: 500, reference, at });
    expect(limits).toEqual({ prompt: '0.333333333', completion: '1.333333333' }); // k = 0.001 / 0.00045
    const cost = (1000 * Number(limits?.prompt) + 500 * Number(limits?.completion)) / 1e6;
    expect(cost).toBeLessThanOrEqual(0.001);
    expect(cost).toBeGreaterThan(0.000999);
  });

  it('leaves room for the request fee, and has no answer for free models', () => {
    const withFee: Pricing = { ...reference, request: '0.0005' };
    expect(
      maxPriceForProvider(usd('0.001'), {
        promptTokens: 1000,
        completionTokens: 500,
        reference: withFee,
        at,
      }),
    ).toEqual({ prompt: '0.166666666', completion: '0.666666666' });
    expect(
      maxPriceForProvider(usd('0.0004'), { promptTokens: 1, completionTokens: 1, reference: withFee, at }),
    ).toEqual({
      prompt: '0',
      completion: '0',
    });
    const free: Pricing = { prompt: '0', completion: '0' };
    expect(
      maxPriceForProvider(usd('1'), { promptTokens: 1000, completionTokens: 1000, reference: free, at }),
    ).toBe(undefined);
  });
});
