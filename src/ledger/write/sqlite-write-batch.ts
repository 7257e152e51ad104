import { coarseEntries } from '../rollup/coarse-rollup.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { factsFromRow } from '../rollup/rollup-store.ts';
import { planBatch } from './batch-plan.ts';
import { completedFacts } from './bulk-statements.ts';
import type { SqliteWriteStatements } from './sqlite-statements.ts';
import type { WriteOp } from './write-ops.ts';

/**
 * Applies a batch of write ops in ONE SQLite transaction, synchronously: pending rows, generation
 * ids, completions and their rollup increments (daily and coarse), opt-in bodies. Returns, per op,
 * whether it changed anything (false for a replayed op). Nothing inside awaits, so no other
 * JavaScript runs while the transaction is open; the caller makes sure no other transaction is
 * open on the connection (see sqlite-store.ts).
 */
export function applySqliteBatch(statements: SqliteWriteStatements, ops: readonly WriteOp[]): boolean[] {
  const plan = planBatch(ops);
  const applied = new Set<WriteOp>();
  statements.begin();
  try {
    for (const op of plan.begins.values()) if (statements.insertPending(op.row)) applied.add(op);
    for (const op of plan.attaches) if (statements.attachGenerationId(op)) applied.add(op);
    const delta = new RollupDelta();
    for (const op of plan.completes.values()) {
      const row = statements.completePending(op);
      if (row) {
        delta.add(completedFacts(row, op.values));
        applied.add(op);
        continue;
      }
      // Not pending: an interrupted row takes the real outcome; a final one is a replay.
      const interrupted = statements.completeInterrupted(op);
      if (interrupted) {
        delta.replace(factsFromRow(interrupted.before), factsFromRow(interrupted.after));
        applied.add(op);
      }
    }
    for (const op of plan.bodies) {
      statements.upsertBodies(op);
      applied.add(op);
    }
    const entries = delta.entries();
    if (entries.length > 0) statements.upsertRollup(entries, coarseEntries(entries));
    statements.commit();
  } catch (error) {
    statements.rollback();
    throw error;
  }
  return ops.map((op) => applied.has(op));
}
