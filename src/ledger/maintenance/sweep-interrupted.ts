import { sql } from 'kysely';
import type { StoreBackend } from '../backend/store-backend.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta, FACT_COLUMNS, factsFromRow } from '../rollup/rollup-store.ts';

/** Request ids per statement when holding their reservations (bound parameters stay few). */
const HOLD_CHUNK = 500;

export interface SweepOptions {
  /** Registered instances found dead: their pending rows are interrupted. */
  deadInstanceIds: ReadonlySet<string>;
  now: number;
  /** Pending rows created before this are interrupted whoever owns them. */
  pendingCreatedBefore: number;
  /** Delay before reconciling an interrupted row that has a generation id; null: never. */
  reconcileAfterMs: number | null;
}

/**
 * Marks stale `pending` rows `interrupted` (rows of dead instances, of instances no longer
 * registered, with no instance, or older than the threshold) and counts them in the rollup in the
 * same transaction. Rows with a generation id are scheduled for reconciliation. Their budget
 * reservations are held, as a completed call's of unknown cost are: without expiry, until
 * reconciliation finds the cost (a reservation left to expire would drop a call that may have
 * been billed out of its budgets). Dead instances' registrations are removed.
 */
export async function sweepInterrupted(backend: StoreBackend, options: SweepOptions): Promise<number> {
  const dead = [...options.deadInstanceIds];
  const reconcileAt = options.reconcileAfterMs === null ? null : options.now + options.reconcileAfterMs;
  return await backend.writeTransaction(async (trx) => {
    const rows = await trx
      .updateTable('requests')
      .set({
        status: 'interrupted',
        completed_at: options.now,
        next_reconcile_at:
          reconcileAt === null
            ? null
            : sql<number>`case when generation_id is not null then ${backend.param(reconcileAt, 'bigint')} else null end`,
      })
      .where('status', '=', 'pending')
      .where((eb) =>
        eb.or([
          eb('instance_id', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('ledger_instances')
                .select(sql<number>`1`.as('one'))
                .whereRef('ledger_instances.id', '=', 'requests.instance_id'),
            ),
          ),
          ...(dead.length > 0 ? [eb('instance_id', 'in', dead)] : []),
          eb('created_at', '<', options.pendingCreatedBefore),
        ]),
      )
      .returning([...FACT_COLUMNS])
      .execute();
    const delta = new RollupDelta();
    for (const row of rows) delta.add(factsFromRow(row));
    await applyRollupDelta(trx, backend, delta);
    const ids = rows.map((row) => row.id);
    for (let start = 0; start < ids.length; start += HOLD_CHUNK) {
      await trx
        .updateTable('budget_reservations')
        .set({ state: 'held', expires_at: null })
        .where('state', '=', 'active')
        .where('request_id', 'in', ids.slice(start, start + HOLD_CHUNK))
        .execute();
    }
    if (dead.length > 0) await trx.deleteFrom('ledger_instances').where('id', 'in', dead).execute();
    return rows.length;
  });
}
