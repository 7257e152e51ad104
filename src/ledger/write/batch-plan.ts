import type { AttachGenerationOp, BeginOp, BodiesOp, CompleteOp, WriteOp } from './write-ops.ts';

/**
 * A batch of write ops grouped by kind, in the order one transaction applies them: new pending
 * rows first (a completion's begin is always in the same or an earlier batch), then generation
 * ids, completions, bodies. Only the first begin and the first completion of an id count; a
 * repeat in the same batch is answered "not applied", like a replay.
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
  return plan;
}
