import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollupDelta, type RollupFacts, utcDay } from './rollup-delta.ts';

const facts: fc.Arbitrary<RollupFacts> = fc.record({
  createdAt: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 0, 1) }),
  module: fc.constantFrom('a', 'b'),
  userId: fc.constantFrom(null, 'u1'),
  keyId: fc.constantFrom(null, 'k1'),
  modelRequested: fc.constant('m/req'),
  model: fc.constantFrom(null, 'm/served'),
  provider: fc.constantFrom(null, 'p'),
  status: fc.constantFrom('pending', 'ok', 'error', 'filtered', 'cancelled', 'interrupted'),
  promptTokens: fc.option(fc.nat(1000), { nil: null }),
  completionTokens: fc.option(fc.nat(1000), { nil: null }),
  reasoningTokens: fc.option(fc.nat(1000), { nil: null }),
  cachedTokens: fc.option(fc.nat(1000), { nil: null }),
  cacheWriteTokens: fc.option(fc.nat(1000), { nil: null }),
  cost: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n }), { nil: null }),
  estimatedCost: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n }), { nil: null }),
  upstreamInferenceCost: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n }), { nil: null }),
  latencyMs: fc.option(fc.nat(100_000), { nil: null }),
});

describe('RollupDelta', () => {
  it('sums contributions per cell; replacing back and forth nets to nothing', () => {
    fc.assert(
      fc.property(fc.array(facts, { maxLength: 30 }), fc.array(facts, { maxLength: 30 }), (rows, others) => {
        const delta = new RollupDelta();
        for (const row of rows) delta.add(row);
        const expectedCost = rows
          .filter((row) => row.status !== 'pending')
          .reduce((sum, row) => sum + (row.cost ?? 0n), 0n);
        const total = delta.entries().reduce((sum, entry) => sum + entry.counters.cost_sum, 0n);
        expect(total).toBe(expectedCost);
        const undo = new RollupDelta();
        for (const [index, row] of rows.entries()) {
          const other = others[index] ?? null;
          undo.replace(row, other);
          undo.replace(other, row);
        }
        expect(undo.entries()).toEqual([]);
      }),
    );
  });

  it('names UTC days', () => {
    expect(utcDay(Date.UTC(2025, 0, 31, 23, 59, 59, 999))).toBe('2025-01-31');
    expect(utcDay(Date.UTC(2025, 1, 1))).toBe('2025-02-01');
  });
});
