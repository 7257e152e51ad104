import { type Kysely, sql } from 'kysely';
import type { Money } from '../../shared/money.ts';
import type { StoreBackend } from '../backend/store-backend.ts';
import type { Database } from '../schema/database.ts';
import type { BudgetSummary } from './budget-exceeded-error.ts';
import { windowStart } from './budget-windows.ts';

type ScopeColumn = 'module' | 'user_id' | 'key_id';

function scopeColumn(budget: BudgetSummary): ScopeColumn | null {
  if (budget.scope === 'global') return null;
  return budget.scope === 'module' ? 'module' : budget.scope === 'user' ? 'user_id' : 'key_id';
}

/**
 * Known spend from a day on: a user's from the daily rollup (its user index), any other scope's
 * from the coarse rollup, which has no user dimension and so a few thousand rows a month.
 */
function spentQuery(trx: Kysely<Database>, backend: StoreBackend, budget: BudgetSummary, now: number) {
  const { startDay } = windowStart(budget.window, now);
  const column = scopeColumn(budget);
  const spent = backend.moneySum(sql.ref('cost_sum'), 'spent');
  if (column === 'user_id') {
    return trx
      .selectFrom('rollup_daily')
      .select(spent)
      .where('day', '>=', startDay)
      .where('user_id', '=', budget.scopeValue ?? '');
  }
  let query = trx.selectFrom('rollup_daily_coarse').select(spent).where('day', '>=', startDay);
  if (column) query = query.where(column, '=', budget.scopeValue ?? '');
  return query;
}

/**
 * Reservations counted against the budget: active ones not yet expired, and held ones (settled with
 * an unknown cost, kept at their worst case until the request is re-costed), created in the window.
 */
function reservedQuery(trx: Kysely<Database>, backend: StoreBackend, budget: BudgetSummary, now: number) {
  const { startMs } = windowStart(budget.window, now);
  const column = scopeColumn(budget);
  let query = trx
    .selectFrom('budget_reservations')
    .select(backend.moneySum(sql.ref('amount'), 'reserved'))
    .where((eb) =>
      eb.or([eb('state', '=', 'held'), eb.and([eb('state', '=', 'active'), eb('expires_at', '>', now)])]),
    )
    .where('created_at', '>=', startMs);
  if (column) query = query.where(column, '=', budget.scopeValue ?? '');
  return query;
}

/**
 * Known spend (from the daily rollup; windows start on UTC days) and outstanding reservations in
 * the budget's current window, read in ONE statement. Two statements would see two snapshots on
 * PostgreSQL: a call completed and settled between them would be counted in neither, and another
 * call admitted over the limit.
 */
export async function budgetUseInWindow(
  trx: Kysely<Database>,
  backend: StoreBackend,
  budget: BudgetSummary,
  now: number,
): Promise<{ spent: Money; reserved: Money }> {
  const row = await trx
    .selectFrom([
      spentQuery(trx, backend, budget, now).as('spent_part'),
      reservedQuery(trx, backend, budget, now).as('reserved_part'),
    ])
    .selectAll()
    .executeTakeFirst();
  const values = (row ?? {}) as Record<string, unknown>;
  return { spent: backend.readMoneySum(values, 'spent'), reserved: backend.readMoneySum(values, 'reserved') };
}
