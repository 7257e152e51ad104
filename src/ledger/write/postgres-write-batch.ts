import type { Kysely } from 'kysely';
import type { StoreBackend } from '../backend/store-backend.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta } from '../rollup/rollup-store.ts';
import type { Database } from '../schema/database.ts';
import { planBatch } from './batch-plan.ts';
import { postgresHotPath } from './bulk-postgres.ts';
import { completedFacts } from './bulk-statements.ts';
import { completeInterruptedRow } from './complete-rows.ts';
import type { BodiesOp, WriteOp } from './write-ops.ts';

/**
 * Applies a batch of write ops in ONE PostgreSQL transaction: new pending rows, generation ids,
 * completions and their rollup increments, opt-in bodies, each kind in as few round trips as its
 * statements allow. Returns, per op, whether it changed anything (false for a replayed op).
 */
export async function applyPostgresBatch(backend: StoreBackend, ops: readonly WriteOp[]): Promise<boolean[]> {
  const plan = planBatch(ops);
  if (plan.begins.size > 0) {
    await backend.ensurePartitions([...plan.begins.values()].map((op) => op.row.created_at));
  }
  return await backend.writeTransaction(async (trx) => {
    const applied = new Set<WriteOp>();
    const delta = new RollupDelta();
    if (plan.begins.size > 0) {
      const rows = [...plan.begins.values()].map((op) => op.row);
      const inserted = await postgresHotPath.insertPending(trx, rows);
      for (const [id, op] of plan.begins) if (inserted.has(id)) applied.add(op);
    }
    for (const op of plan.attaches) {
      const result = await trx
        .updateTable('requests')
        .set({ generation_id: op.generationId })
        .where('id', '=', op.id)
        .where('generation_id', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) applied.add(op);
    }
    if (plan.completes.size > 0) {
      const completed = new Set<string>();
      for (const row of await postgresHotPath.completePending(trx, [...plan.completes.values()])) {
        const op = plan.completes.get(row.id);
        if (!op) continue;
        completed.add(row.id);
        delta.add(completedFacts(row, op.values));
        applied.add(op);
      }
      for (const [id, op] of plan.completes) {
        if (!completed.has(id) && (await completeInterruptedRow(trx, op, delta))) applied.add(op);
      }
    }
    await upsertBodies(trx, plan.bodies, applied);
    await applyRollupDelta(trx, backend, delta);
    return ops.map((op) => applied.has(op));
  });
}

async function upsertBodies(trx: Kysely<Database>, bodies: BodiesOp[], applied: Set<WriteOp>): Promise<void> {
  for (const op of bodies) {
    await trx
      .insertInto('request_bodies')
      .values({
        request_id: op.id,
        created_at: op.createdAt,
        request_body: op.request,
        response_body: op.response,
      })
      .onConflict((conflict) =>
        conflict.column('request_id').doUpdateSet((eb) => ({
          request_body: eb.fn.coalesce('excluded.request_body', 'request_bodies.request_body'),
          response_body: eb.fn.coalesce('excluded.response_body', 'request_bodies.response_body'),
        })),
      )
      .execute();
    applied.add(op);
  }
}
