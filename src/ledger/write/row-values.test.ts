import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../shared/ids.ts';
import { checkTokens, completionValues, rowIdentity, uuidv7Millis } from './row-values.ts';

describe('row values', () => {
  it('flags exactly the contradictory token counts', () => {
    const count = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null });
    fc.assert(
      fc.property(count, count, count, count, (prompt, completion, reasoning, cached) => {
        const { flags, counts } = checkTokens({
          promptTokens: prompt,
          completionTokens: completion,
          reasoningTokens: reasoning,
          cachedTokens: cached,
        });
        expect(counts).toMatchObject({ prompt, completion, reasoning, cached });
        expect(flags.includes('cached_exceeds_prompt')).toBe(
          cached !== null && prompt !== null && cached > prompt,
        );
        expect(flags.includes('reasoning_exceeds_completion')).toBe(
          reasoning !== null && completion !== null && reasoning > completion,
        );
      }),
    );
    expect(checkTokens({ promptTokens: -3, completionTokens: Number.NaN }).flags).toEqual(['invalid_count']);
  });

  it('never turns an unknown cost into 0', () => {
    for (const cost of [null, undefined]) {
      const { values } = completionValues({ status: 'ok', cost } as never, {
        completedAt: 1,
        reconcileAfterMs: null,
      });
      expect(values.cost).toBeNull();
      expect(values.cost_known).toBe(0);
      expect(values.cost_source).toBeNull();
    }
    const { values } = completionValues(
      { status: 'ok', cost: 0n, costSource: 'usage' },
      { completedAt: 1, reconcileAfterMs: 5 },
    );
    expect(values).toMatchObject({ cost: 0n, cost_known: 1, next_reconcile_at: null });
    expect(() =>
      completionValues(
        { status: 'pending' as never, cost: null },
        { completedAt: 1, reconcileAfterMs: null },
      ),
    ).toThrow(/status/);
  });

  it('schedules reconciliation only with a generation id', () => {
    const { values } = completionValues(
      { status: 'ok', cost: null, generationId: 'gen-1' },
      { completedAt: 100, reconcileAfterMs: 2000 },
    );
    expect(values.next_reconcile_at).toBe(2100);
  });

  it('derives created_at from the UUIDv7 id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), (ms) => {
        expect(uuidv7Millis(uuidv7(ms))).toBe(ms);
      }),
    );
    const now = () => 1_700_000_000_000;
    expect(rowIdentity({}, now, uuidv7).createdAt).toBe(1_700_000_000_000);
    const id = uuidv7(1_600_000_000_000);
    expect(rowIdentity({ id }, now, uuidv7)).toEqual({ id, createdAt: 1_600_000_000_000 });
    expect(() => rowIdentity({ id, createdAt: 5 }, now, uuidv7)).toThrow(/timestamp/);
    expect(() => rowIdentity({ id: 'abc' }, now, uuidv7)).toThrow(/UUIDv7/);
  });
});
