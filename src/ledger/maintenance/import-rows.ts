import type { StoreBackend } from '../backend/store-backend.ts';
import { invalidInput } from '../ledger-errors.ts';
import type { ImportRow } from '../ledger-types.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta } from '../rollup/rollup-store.ts';
import { finishedFacts } from '../write/bulk-statements.ts';
import type { FinishedRowValues } from '../write/request-columns.ts';
import { completionValues, pendingRowValues, rowIdentity } from '../write/row-values.ts';

const TRANSACTION_ROWS = 50_000;
const DAY_MS = 86_400_000;

function finishedValues(
  row: ImportRow,
  createdAt: number,
  id: string,
  instanceId: string,
  reconcileAfterMs: number | null,
) {
  const pending = pendingRowValues(row, { id, createdAt, instanceId });
  const { values: done } = completionValues(row, {
    completedAt: row.completedAt ?? createdAt,
    reconcileAfterMs,
  });
  const finished: FinishedRowValues = {
    ...pending,
    ...done,
    estimated_cost: done.estimated_cost ?? pending.estimated_cost,
  };
  return finished;
}

/**
 * The bulk path: inserts finished rows directly (no group commit, transactions of 50,000 rows)
 * with their rollup increments. Rows whose id already exists are skipped, so an import can be
 * repeated. Rows are written in time order (their ids are UUIDv7), so the primary key and time
 * indexes grow at their ends. Returns the number of rows inserted.
 */
export async function importRows(
  backend: StoreBackend,
  rows: readonly ImportRow[],
  context: { instanceId: string; reconcileAfterMs: number | null },
): Promise<number> {
  const order = rows.map((row, index) => {
    if (row.id === undefined) throw invalidInput('importRows needs an id on every row');
    return { index, ...rowIdentity(row, Date.now, () => row.id) };
  });
  order.sort((a, b) => a.createdAt - b.createdAt);
  const days = new Set(order.map((item) => Math.floor(item.createdAt / DAY_MS)));
  await backend.ensurePartitions([...days].map((day) => day * DAY_MS));
  let inserted = 0;
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const start = next;
      next += TRANSACTION_ROWS;
      const slice = order
        .slice(start, start + TRANSACTION_ROWS)
        .map((item) =>
          finishedValues(
            rows[item.index] as ImportRow,
            item.createdAt,
            item.id,
            context.instanceId,
            context.reconcileAfterMs,
          ),
        );
      const count = await backend.writeTransaction(async (trx) => {
        const written = await backend.bulk.insertFinished(trx, slice);
        const delta = new RollupDelta();
        for (const row of slice) if (written.has(row.id)) delta.add(finishedFacts(row));
        await applyRollupDelta(trx, backend, delta);
        return written.size;
      });
      inserted += count;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, backend.importConcurrency) }, worker));
  return inserted;
}
