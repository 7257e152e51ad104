import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../shared/ids.ts';
import { checkTokens, completionValues, pendingRowValues, rowIdentity, uuidv7Millis } from './row-values.ts';

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

  it('refuses control characters in the module and the user id, which reports group on and show', () => {
    const context = { id: uuidv7(1_700_000_000_000), createdAt: 1_700_000_000_000, instanceId: 'i' };
    const row = (module: string, userId: string | null) =>
      pendingRowValues({ module, userId, modelRequested: 'openai/gpt-4o-mini' }, context);
    expect(row('summarize', 'auth0|jöhn@exämple.org')).toMatchObject({
      module: 'summarize',
      user_id: 'auth0|jöhn@exämple.org',
    });
    expect(() => row('m\u001b]0;pwned\u0007', null)).toThrow(
      /module must not contain control characters .*got "m\\x1b\]0;pwned\\x07"/,
    );
    for (const userId of ['evil\u001b[2J', 'two\nlines', 'tab\there', 'c1\u009b', 'sep\u2028'])
      expect(() => row('summarize', userId), JSON.stringify(userId)).toThrow(
        /userId must not contain control/,
      );
  });
});
