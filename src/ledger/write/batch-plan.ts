import type { AttachGenerationOp, BeginOp, BodiesOp, CompleteOp, WriteOp } from './write-ops.ts';

/**
 * A batch of write ops grouped by kind, in the order one transaction applies them: new pending
 * rows first (a completion's begin is always in the same or an earlier batch), then generation
 * ids, completions, bodies. Only the first begin and the first completion of an id count; a
 * repeat in the same batch is answered "not applied", like a replay. A generation id attached to
 * a row whose completion, in the same batch, carries one is left out (answered "not applied"):
 * the completion writes it anyway, and a short stream's attach and completion often meet so.
 */
export interface BatchPlan {
  begins: Map<string, BeginOp>;
  attaches: AttachGenerationOp[];
  completes: Map<string, CompleteOp>;
  bodies: BodiesOp[];
}

export function planBatch(ops: readonly WriteOp[]): BatchPlan {
  const plan: BatchPlan = { begins: new Map(), attaches: [], completes: new Map(), bodies: [] };
  for (const op of ops) {
    if (op.kind === 'begin') {
      if (!plan.begins.has(op.row.id)) plan.begins.set(op.row.id, op);
    } else if (op.kind === 'complete') {
      if (!plan.completes.has(op.id)) plan.completes.set(op.id, op);
    } else if (op.kind === 'attach') plan.attaches.push(op);
    else plan.bodies.push(op);
  }
  if (plan.attaches.length > 0 && plan.completes.size > 0) {
    plan.attaches = plan.attaches.filter(
      (attach) => (plan.completes.get(attach.id)?.values.generation_id ?? null) === null,
    );
  }
  return plan;
}
