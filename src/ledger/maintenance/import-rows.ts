import type { StoreBackend } from '../backend/store-backend.ts';
import { invalidInput } from '../ledger-errors.ts';
import type { ImportRow } from '../ledger-types.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta } from '../rollup/rollup-store.ts';
import { finishedFacts } from '../write/bulk-statements.ts';
import type { FinishedRowValues } from '../write/request-columns.ts';
import { completionValues, pendingRowValues, rowIdentity } from '../write/row-values.ts';

const TRANSACTION_ROWS = 50_000;

/**
 * The bulk path: inserts finished rows directly (no group commit, large transactions) with their
 * rollup increments. Rows whose id already exists are skipped, so an import can be repeated.
 * Returns the number of rows inserted.
 */
export async function importRows(
  backend: StoreBackend,
  rows: readonly ImportRow[],
  context: { instanceId: string; reconcileAfterMs: number | null },
): Promise<number> {
  const values = rows.map((row): FinishedRowValues => {
    if (row.id === undefined) throw invalidInput('importRows needs an id on every row');
    const { id, createdAt } = rowIdentity(row, Date.now, () => row.id);
    const { status: _pending, ...pending } = pendingRowValues(row, {
      id,
      createdAt,
      instanceId: context.instanceId,
    });
    const { values: done } = completionValues(row, {
      completedAt: row.completedAt ?? createdAt,
      reconcileAfterMs: context.reconcileAfterMs,
    });
    return { ...pending, ...done, estimated_cost: done.estimated_cost ?? pending.estimated_cost };
  });
  // In id order (UUIDv7: time order) the primary key and created_at indexes grow at their ends
  // instead of splitting pages all over.
  values.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await backend.ensurePartitions(values.map((row) => row.created_at));
  let inserted = 0;
  for (let start = 0; start < values.length; start += TRANSACTION_ROWS) {
    const slice = values.slice(start, start + TRANSACTION_ROWS);
    inserted += await backend.writeTransaction(async (trx) => {
      const written = await backend.bulk.insertFinished(trx, slice);
      const delta = new RollupDelta();
      for (const row of slice) if (written.has(row.id)) delta.add(finishedFacts(row));
      await applyRollupDelta(trx, backend, delta);
      return written.size;
    });
  }
  return inserted;
}
