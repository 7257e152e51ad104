import { describe, expect, it } from 'vitest';
import { PricingFormatError, parsePricing, pricingSchema } from './pricing-schema.ts';

describe('pricingSchema', () => {
  it('accepts a /models pricing object and keeps unknown keys', () => {
    const input = {
      prompt: '0.0000003',
      completion: '0.0000025',
      request: '0',
      image: '0.001238',
      web_search: '0',
      internal_reasoning: '0',
      input_cache_read: '0.00000003',
      input_cache_write: '0.0000003833',
      discount: 0,
      video_second: '0.1',
      overrides: [{ min_prompt_tokens: 200_000, prompt: '0.0000006', region: 'eu' }],
    };
    const pricing = parsePricing(input, 'google/gemini-2.5-flash');
    expect(pricing).toMatchObject(input);
    expect(pricing.video_second).toBe('0.1');
    expect(pricing.overrides?.[0]?.region).toBe('eu');
  });

  it('turns numeric prices into decimal text and drops nulls', () => {
    const pricing = parsePricing({ prompt: 3e-7, completion: '2.5e-6', image: null });
    expect(pricing.prompt).toBe('3e-7');
    expect(pricing.completion).toBe('2.5e-6');
    expect(pricing.image).toBeUndefined();
  });

  it('names the model and the key of an invalid price', () => {
    const attempt = () =>
      parsePricing(
        { prompt: '0.000001', completion: '1,5', overrides: [{ prompt: 'cheap' }] },
        'acme/model-x',
      );
    expect(attempt).toThrow(PricingFormatError);
    expect(attempt).toThrow(/acme\/model-x/);
    expect(attempt).toThrow(/pricing\.completion: not a decimal USD price: "1,5"/);
    expect(attempt).toThrow(/pricing\.overrides\[0\]\.prompt: not a decimal USD price: "cheap"/);
  });

  it('rejects missing required prices, negative (variable, router) prices and bad discounts', () => {
    expect(() => parsePricing({ prompt: '0.1' }, 'm')).toThrow(
      /pricing\.completion: required price is missing/,
    );
    expect(() => parsePricing({ prompt: '-1', completion: '-1' }, 'openrouter/auto')).toThrow(
      /negative price/,
    );
    expect(() => parsePricing({ prompt: '0', completion: '0', discount: 1.5 })).toThrow(/discount/);
    expect(() => parsePricing({ prompt: '0', completion: '0', discount: 'x' })).toThrow(/discount/);
    expect(pricingSchema.safeParse({ prompt: '0', completion: '0', overrides: 'no' }).success).toBe(false);
    try {
      parsePricing({ prompt: 'x', completion: '0' }, 'm');
    } catch (error) {
      expect(error).toMatchObject({
        code: 'pricing_format',
        modelId: 'm',
        issues: [expect.stringContaining('prompt')],
      });
    }
  });
});
