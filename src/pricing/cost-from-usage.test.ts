import { describe, expect, it } from 'vitest';
import { moneyFromUsd } from '../shared/money.ts';
import { costFromUsage } from './cost-from-usage.ts';

describe('costFromUsage', () => {
  it('reads usage.cost exactly, as a number or a string', () => {
    expect(costFromUsage({ cost: 0.0009056 })).toEqual({
      source: 'usage',
      known: true,
      cost: 905_600_000n,
      isByok: false,
    });
    expect(costFromUsage({ cost: '0.00002415' })).toMatchObject({
      known: true,
      cost: moneyFromUsd('0.00002415'),
    });
    expect(costFromUsage({ cost: 0 })).toMatchObject({ known: true, cost: 0n });
  });

  it('keeps the BYOK provider charge separate from the OpenRouter fee', () => {
    const result = costFromUsage({
      cost: 0,
      is_byok: true,
      cost_details: { upstream_inference_cost: 0.0123 },
    });
    expect(result).toEqual({
      source: 'usage',
      known: true,
      cost: 0n,
      isByok: true,
      upstreamInferenceCost: moneyFromUsd('0.0123'),
    });
  });

  it('reports an absent or unreadable cost as unknown, never as 0', () => {
    for (const usage of [undefined, null, {}, { cost: null }, { prompt_tokens: 3, completion_tokens: 4 }]) {
      const result = costFromUsage(usage);
      expect(result.known).toBe(false);
      expect(result).not.toHaveProperty('cost');
    }
    expect(costFromUsage({ cost: 'abc' })).toMatchObject({
      known: false,
      reason: expect.stringContaining('usage.cost'),
    });
    expect(costFromUsage({ cost: -1 })).toMatchObject({
      known: false,
      reason: expect.stringContaining('negative'),
    });
    expect(costFromUsage({ cost: Number.NaN }).known).toBe(false);
    const byok = costFromUsage({ is_byok: true, cost_details: { upstream_inference_cost: '0.5' } });
    expect(byok).toMatchObject({ known: false, isByok: true, upstreamInferenceCost: moneyFromUsd('0.5') });
  });
});
