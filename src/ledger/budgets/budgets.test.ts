import { describe, expect, it } from 'vitest';
import { DIALECTS, manualClock, useLedgerDatabases } from '../../../test/helpers/ledger-dialects.ts';
import { moneyFromUsd } from '../../shared/money.ts';
import { BudgetExceededError, type Ledger } from '../index.ts';

const usd = moneyFromUsd;

async function spend(
  ledger: Ledger,
  amount: bigint,
  who: { userId?: string; module?: string; keyId?: string } = {},
) {
  const { id } = await ledger.begin({
    module: who.module ?? 'm',
    userId: who.userId,
    keyId: who.keyId,
    modelRequested: 'a/b',
  });
  await ledger.complete(id, { status: 'ok', cost: amount, costSource: 'usage' });
  return id;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: budgets`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('sets, lists, updates and removes budgets', async () => {
      const ledger = await dbs.open();
      const global = await ledger.budgets.set({ scope: 'global', window: 'month', limit: usd('100') });
      const user = await ledger.budgets.set({
        scope: 'user',
        scopeValue: 'u1',
        window: 'day',
        limit: usd('1'),
      });
      const raised = await ledger.budgets.set({
        scope: 'user',
        scopeValue: 'u1',
        window: 'day',
        limit: usd('2'),
      });
      expect(raised.id).toBe(user.id);
      expect(raised).toMatchObject({
        limit: usd('2'),
        limitUsd: '2',
        scope: 'user',
        scopeValue: 'u1',
        window: 'day',
      });
      expect((await ledger.budgets.list()).map((budget) => budget.id).sort()).toEqual(
        [global.id, user.id].sort(),
      );
      expect(global.scopeValue).toBeNull();
      expect(await ledger.budgets.remove(global.id)).toBe(true);
      expect(await ledger.budgets.remove(global.id)).toBe(false);
      await expect(ledger.budgets.set({ scope: 'user', window: 'day', limit: 1n })).rejects.toThrow(
        /scopeValue/,
      );
      // Past a signed 64-bit count of picodollars: refused, not a driver's overflow.
      await expect(
        ledger.budgets.set({ scope: 'global', window: 'day', limit: 9_223_372_036_854_775_808n }),
      ).rejects.toMatchObject({
        code: 'ledger_invalid_input',
        message: expect.stringContaining('at most $9223372.036854775807'),
      });
      await expect(
        ledger.budgets.set({ scope: 'team' as 'user', scopeValue: 'x', window: 'day', limit: 1n }),
      ).rejects.toThrow(/scope/);
    });

    it('refuses a reservation over any applicable budget, naming it, its limit, spend and reservations', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock });
      await ledger.budgets.set({ scope: 'global', window: 'total', limit: usd('100') });
      await ledger.budgets.set({ scope: 'user', scopeValue: 'u1', window: 'day', limit: usd('1') });
      await ledger.budgets.set({ scope: 'module', scopeValue: 'chat', window: 'week', limit: usd('5') });
      await spend(ledger, usd('0.7'), { userId: 'u1' });
      await spend(ledger, usd('0.5'), { userId: 'u2' });
      const held = await ledger.budgets.reserve({ userId: 'u1', module: 'chat', amount: usd('0.2') });
      expect(held.recorded).toBe(true);
      expect(held.budgets).toHaveLength(3);
      const refusal = await ledger.budgets
        .reserve({ userId: 'u1', module: 'chat', amount: usd('0.2') })
        .catch((e) => e);
      expect(BudgetExceededError.isInstance(refusal)).toBe(true);
      expect(refusal).toBeInstanceOf(BudgetExceededError);
      expect(refusal).toMatchObject({
        code: 'budget_exceeded',
        budget: { scope: 'user', scopeValue: 'u1', window: 'day', limit: usd('1') },
        spent: usd('0.7'),
        reserved: usd('0.2'),
        requested: usd('0.2'),
      });
      expect(refusal.message).toContain(
        'user "u1" budget (per day) limit $1; spent $0.7, reserved $0.2, requested $0.2',
      );
      // Another user is bound only by the global and module budgets.
      await ledger.budgets.reserve({ userId: 'u2', module: 'chat', amount: usd('0.9') });
      // Yesterday's spend leaves today's window but stays in the week and the total.
      clock.advance(86_400_000);
      const status = await ledger.budgets.status({ userId: 'u1', module: 'chat' });
      const byScope = new Map(status.map((check) => [check.budget.scope, check]));
      expect(byScope.get('user')?.spent).toBe(0n);
      expect(byScope.get('global')?.spent).toBe(usd('1.2'));
      expect(byScope.get('module')?.spent).toBe(0n);
    });

    it('settles, releases and expires reservations; an unknown cost stays counted until re-costed', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reservationTtlMs: 60_000 });
      await ledger.budgets.set({ scope: 'key', scopeValue: 'k1', window: 'month', limit: usd('1') });
      const reserved = () => ledger.budgets.status({ keyId: 'k1' }).then((checks) => checks[0]?.reserved);
      const spent = () => ledger.budgets.status({ keyId: 'k1' }).then((checks) => checks[0]?.spent);

      const known = await ledger.budgets.reserve({ keyId: 'k1', amount: usd('0.5') });
      await spend(ledger, usd('0.1'), { keyId: 'k1' });
      await ledger.budgets.settle(known.id, usd('0.1'));
      expect(await reserved()).toBe(0n);
      expect(await spent()).toBe(usd('0.1'));

      const dropped = await ledger.budgets.reserve({ keyId: 'k1', amount: usd('0.5') });
      await ledger.budgets.release(dropped.id);
      expect(await reserved()).toBe(0n);

      const unknown = await ledger.budgets.reserve({ keyId: 'k1', amount: usd('0.3') });
      const { id } = await ledger.begin({ module: 'm', keyId: 'k1', modelRequested: 'a/b' });
      await ledger.complete(id, { status: 'ok', cost: null, generationId: 'gen-unknown' });
      await ledger.budgets.settle(unknown.id, null, { requestId: id });
      clock.advance(10 * 60_000);
      expect(await reserved()).toBe(usd('0.3'));
      await expect(ledger.budgets.reserve({ keyId: 'k1', amount: usd('0.7') })).rejects.toBeInstanceOf(
        BudgetExceededError,
      );
      await ledger.reconciliation.applyGeneration(id, { id: 'gen-unknown', total_cost: 0.25 }, clock.now());
      expect(await reserved()).toBe(0n);
      expect(await spent()).toBe(usd('0.35'));

      const forgotten = await ledger.budgets.reserve({ keyId: 'k1', amount: usd('0.6') });
      expect(forgotten.expiresAt).toBe(clock.now() + 60_000);
      expect(await reserved()).toBe(usd('0.6'));
      clock.advance(60_001);
      expect(await reserved()).toBe(0n);
      expect(await ledger.budgets.cleanupExpired()).toBe(1);
    });

    it("holds the reservations of a dead process's interrupted calls: they may have been billed", async () => {
      const clock = manualClock();
      const url = await dbs.url();
      const crashed = await dbs.open({ url, clock, hostname: 'host-a', reservationTtlMs: 60_000 });
      await crashed.budgets.set({ scope: 'module', scopeValue: 'm', window: 'total', limit: usd('1') });
      const { id } = await crashed.begin({ module: 'm', modelRequested: 'a/b' });
      await crashed.budgets.reserve({ module: 'm', amount: usd('0.4'), requestId: id });
      // Its heartbeat stops; another host's process finds it dead and sweeps its pending row.
      clock.advance(120_000);
      const survivor = await dbs.open({ url, clock, hostname: 'host-b', reservationTtlMs: 60_000 });
      expect((await survivor.getRequest(id))?.status).toBe('interrupted');
      clock.advance(10 * 60_000);
      const [check] = await survivor.budgets.status({ module: 'm' });
      expect(check?.reserved).toBe(usd('0.4'));
      expect(await survivor.budgets.cleanupExpired()).toBe(0);
    });

    it('lists held reservations and releases those no reconciliation can resolve, leaving the rows as they are', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock, reservationTtlMs: 60_000 });
      await ledger.budgets.set({ scope: 'module', scopeValue: 'm', window: 'total', limit: usd('1') });
      const reserved = () => ledger.budgets.status({ module: 'm' }).then((checks) => checks[0]?.reserved);
      // A call that timed out before any answer: no generation id, so its cost can never be known.
      const holdFor = async (generationId: string | null, amount: string) => {
        const { id } = await ledger.begin({ module: 'm', userId: 'u1', modelRequested: 'a/b' });
        const reservation = await ledger.budgets.reserve({
          module: 'm',
          userId: 'u1',
          amount: usd(amount),
          requestId: id,
        });
        await ledger.complete(id, {
          status: 'error',
          cost: null,
          generationId,
          errorCode: 'timeout',
          errorMessage: 'attempt timed out',
        });
        await ledger.budgets.settle(reservation.id, null, { requestId: id });
        clock.advance(1_000);
        return id;
      };
      const lost = await holdFor(null, '0.4');
      const cutOff = clock.now();
      const lostLater = await holdFor(null, '0.2');
      const pendingBill = await holdFor('gen-later', '0.3');
      expect(await reserved()).toBe(usd('0.9'));
      await expect(ledger.budgets.reserve({ module: 'm', amount: usd('0.2') })).rejects.toBeInstanceOf(
        BudgetExceededError,
      );

      const holds = await ledger.budgets.holds();
      expect(holds.map((hold) => [hold.requestId, hold.amountUsd, hold.reconcilable])).toEqual([
        [lost, '0.4', false],
        [lostLater, '0.2', false],
        [pendingBill, '0.3', true],
      ]);
      expect(holds[0]).toMatchObject({
        module: 'm',
        userId: 'u1',
        request: { status: 'error', model: 'a/b', generationId: null, errorCode: 'timeout' },
      });
      expect((await ledger.budgets.holds({ before: cutOff })).map((hold) => hold.requestId)).toEqual([lost]);

      // By age: only the hold admitted before the cut-off goes.
      const byAge = await ledger.budgets.releaseHolds({ before: cutOff });
      expect(byAge.released.map((hold) => hold.requestId)).toEqual([lost]);
      expect(await reserved()).toBe(usd('0.5'));
      // Ids and an age together: a named hold admitted after the cut-off is named as left.
      const tooNew = await ledger.budgets.releaseHolds({ requestIds: [lostLater], before: cutOff });
      expect(tooNew).toMatchObject({ released: [], skipped: [], notHeld: [] });
      expect(tooNew.newer.map((hold) => hold.requestId)).toEqual([lostLater]);
      expect(await reserved()).toBe(usd('0.5'));

      // By row: the one awaiting its generation record is left to reconciliation unless forced;
      // an id with no hold is named.
      const byRow = await ledger.budgets.releaseHolds({ requestIds: [pendingBill, lostLater, lost] });
      expect(byRow.released.map((hold) => hold.requestId)).toEqual([lostLater]);
      expect(byRow.skipped.map((hold) => hold.requestId)).toEqual([pendingBill]);
      expect(byRow.notHeld).toEqual([lost]);
      expect(await reserved()).toBe(usd('0.3'));
      const forced = await ledger.budgets.releaseHolds({ all: true, includeReconcilable: true });
      expect(forced.released.map((hold) => hold.requestId)).toEqual([pendingBill]);
      expect(await reserved()).toBe(0n);
      expect(await ledger.budgets.holds()).toEqual([]);

      // The rows are untouched: their cost is still unknown, and a record found later still costs them.
      const row = await ledger.getRequest(lost);
      expect(row).toMatchObject({ status: 'error', cost: null, costKnown: false, errorCode: 'timeout' });
      await ledger.reconciliation.applyGeneration(
        pendingBill,
        { id: 'gen-later', total_cost: 0.05 },
        clock.now(),
      );
      expect((await ledger.budgets.status({ module: 'm' }))[0]?.spent).toBe(usd('0.05'));

      await expect(ledger.budgets.releaseHolds({})).rejects.toThrow(/requestIds, before, or all/);
      await expect(ledger.budgets.releaseHolds({ requestIds: [''] })).rejects.toThrow(/non-empty/);
      await expect(ledger.budgets.holds({ before: Number.NaN })).rejects.toThrow(/epoch milliseconds/);
    });

    it('never lets a concurrent storm of reservations exceed the limit', async () => {
      const url = await dbs.url();
      const first = await dbs.open({ url });
      // On PostgreSQL a second ledger (its own pool) stands in for another replica.
      const second = dialect === 'postgres' ? await dbs.open({ url }) : first;
      await first.budgets.set({ scope: 'user', scopeValue: 'u1', window: 'day', limit: usd('1') });
      await spend(first, usd('0.1'), { userId: 'u1' });
      const attempts = await Promise.allSettled(
        Array.from({ length: 60 }, (_, index) =>
          (index % 2 ? second : first).budgets.reserve({ userId: 'u1', amount: usd('0.05') }),
        ),
      );
      const granted = attempts.filter((attempt) => attempt.status === 'fulfilled');
      const refused = attempts.filter((attempt) => attempt.status === 'rejected');
      expect(granted).toHaveLength(18);
      expect(refused.every((attempt) => BudgetExceededError.isInstance(attempt.reason))).toBe(true);
      const [check] = await first.budgets.status({ userId: 'u1' });
      expect(check?.reserved).toBe(usd('0.9'));
      expect(check?.remaining).toBe(0n);
    });

    it('records nothing when no budget applies', async () => {
      const ledger = await dbs.open();
      await ledger.budgets.set({ scope: 'user', scopeValue: 'someone-else', window: 'day', limit: 1n });
      const reservation = await ledger.budgets.reserve({ userId: 'u1', amount: usd('1000') });
      expect(reservation).toMatchObject({ recorded: false, budgets: [] });
      await ledger.budgets.settle(reservation.id, null);
      await ledger.budgets.release(reservation.id);
      await expect(ledger.budgets.reserve({ userId: 'u1', amount: -1n })).rejects.toThrow(/non-negative/);
    });
  });
}
