import type { Kysely } from 'kysely';
import type { RollupDelta } from '../rollup/rollup-delta.ts';
import { FACT_COLUMNS, factsFromRow } from '../rollup/rollup-store.ts';
import type { Database } from '../schema/database.ts';
import type { CompleteOp } from './write-ops.ts';

/**
 * PostgreSQL (SQLite runs the same logic as prepared statements in sqlite-statements.ts):
 * completes a row that is no longer pending: an `interrupted` row (its process was presumed dead)
 * takes the real outcome, and the rollup moves by the difference. A row already final is a replay
 * and stays as it is. Returns whether the row changed.
 */
export async function completeInterruptedRow(
  trx: Kysely<Database>,
  op: CompleteOp,
  delta: RollupDelta,
): Promise<boolean> {
  const before = await trx
    .selectFrom('requests')
    .select([...FACT_COLUMNS])
    .where('id', '=', op.id)
    .where('status', '=', 'interrupted')
    .executeTakeFirst();
  if (!before) return false;
  const { estimated_cost, generation_id, ...values } = op.values;
  const after = await trx
    .updateTable('requests')
    .set({
      ...values,
      ...(estimated_cost === null ? {} : { estimated_cost }),
      ...(generation_id === null ? {} : { generation_id }),
    })
    .where('id', '=', op.id)
    .where('status', '=', 'interrupted')
    .returning([...FACT_COLUMNS])
    .executeTakeFirst();
  if (!after) return false;
  delta.replace(factsFromRow(before), factsFromRow(after));
  return true;
}
