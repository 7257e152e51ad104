import type { Kysely } from 'kysely';
import type { StoreBackend } from '../backend/store-backend.ts';
import { RollupDelta } from '../rollup/rollup-delta.ts';
import { applyRollupDelta } from '../rollup/rollup-store.ts';
import type { Database } from '../schema/database.ts';
import { completedFacts } from './bulk-statements.ts';
import { completeInterruptedRow } from './complete-rows.ts';
import type { AttachGenerationOp, BeginOp, BodiesOp, CompleteOp, WriteOp } from './write-ops.ts';

/**
 * Applies a batch of write ops in ONE transaction: new pending rows, generation ids, completions
 * and their rollup increments, opt-in bodies. Returns, per op, whether it changed anything (false
 * for a replayed op). Ops are grouped by kind; a completion's begin is always in the same or an
 * earlier batch, and begins are applied first.
 */
export async function applyBatch(backend: StoreBackend, ops: readonly WriteOp[]): Promise<boolean[]> {
  const begins: BeginOp[] = [];
  const attaches: AttachGenerationOp[] = [];
  const completes: CompleteOp[] = [];
  const bodies: BodiesOp[] = [];
  for (const op of ops) {
    if (op.kind === 'begin') begins.push(op);
    else if (op.kind === 'complete') completes.push(op);
    else if (op.kind === 'attach') attaches.push(op);
    else bodies.push(op);
  }
  if (begins.length > 0) await backend.ensurePartitions(begins.map((op) => op.row.created_at));

  return await backend.writeTransaction(async (trx) => {
    const applied = new Set<WriteOp>();
    const delta = new RollupDelta();
    await insertBegins(trx, backend, begins, applied);
    for (const op of attaches) {
      const result = await trx
        .updateTable('requests')
        .set({ generation_id: op.generationId })
        .where('id', '=', op.id)
        .where('generation_id', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) applied.add(op);
    }
    await completeAll(trx, backend, completes, delta, applied);
    await upsertBodies(trx, bodies, applied);
    await applyRollupDelta(trx, backend, delta);
    return ops.map((op) => applied.has(op));
  });
}

function firstPerId<T>(ops: readonly T[], idOf: (op: T) => string): Map<string, T> {
  const first = new Map<string, T>();
  for (const op of ops) if (!first.has(idOf(op))) first.set(idOf(op), op);
  return first;
}

async function insertBegins(
  trx: Kysely<Database>,
  backend: StoreBackend,
  begins: BeginOp[],
  applied: Set<WriteOp>,
): Promise<void> {
  if (begins.length === 0) return;
  const unique = firstPerId(begins, (op) => op.row.id);
  const inserted = await backend.bulk.insertPending(
    trx,
    [...unique.values()].map((op) => op.row),
  );
  for (const [id, op] of unique) if (inserted.has(id)) applied.add(op);
}

async function completeAll(
  trx: Kysely<Database>,
  backend: StoreBackend,
  completes: CompleteOp[],
  delta: RollupDelta,
  applied: Set<WriteOp>,
): Promise<void> {
  if (completes.length === 0) return;
  const unique = firstPerId(completes, (op) => op.id);
  const completed = new Set<string>();
  for (const row of await backend.bulk.completePending(trx, [...unique.values()])) {
    const op = unique.get(row.id);
    if (!op) continue;
    completed.add(row.id);
    delta.add(completedFacts(row, op.values));
  }
  for (const op of unique.values()) {
    if (completed.has(op.id) || (await completeInterruptedRow(trx, op, delta))) applied.add(op);
  }
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
