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

/** Known spend in the budget's current window, from the daily rollup (windows start on UTC days). */
export async function spentInWindow(
  trx: Kysely<Database>,
  backend: StoreBackend,
  budget: BudgetSummary,
  now: number,
): Promise<Money> {
  const { startDay } = windowStart(budget.window, now);
  const column = scopeColumn(budget);
  let query = trx
    .selectFrom('rollup_daily')
    .select(backend.moneySum(sql.ref('cost_sum'), 'spent'))
    .where('day', '>=', startDay);
  if (column) query = query.where(column, '=', budget.scopeValue ?? '');
  const row = await query.executeTakeFirst();
  return row ? backend.readMoneySum(row, 'spent') : 0n;
}

/**
 * Reservations counted against the budget: active ones not yet expired, and held ones (settled with
 * an unknown cost, kept at their worst case until the request is re-costed), created in the window.
 */
export async function reservedInWindow(
  trx: Kysely<Database>,
  backend: StoreBackend,
  budget: BudgetSummary,
  now: number,
): Promise<Money> {
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
  const row = await query.executeTakeFirst();
  return row ? backend.readMoneySum(row, 'reserved') : 0n;
}
