import { describe, expect, it } from 'vitest';
import { planBatch } from './batch-plan.ts';
import type { AttachGenerationOp, CompleteOp, CompletionValues } from './write-ops.ts';

function completion(id: string, generationId: string | null): CompleteOp {
  return { kind: 'complete', id, values: { generation_id: generationId } as CompletionValues };
}

function attach(id: string, generationId: string): AttachGenerationOp {
  return { kind: 'attach', id, generationId };
}

describe('planBatch', () => {
  it('leaves out an attach whose completion in the same batch carries a generation id', () => {
    const kept = attach('r2', 'gen-2');
    const keptForNull = attach('r3', 'gen-3');
    const plan = planBatch([
      attach('r1', 'gen-1'),
      kept,
      keptForNull,
      completion('r1', 'gen-1'),
      completion('r3', null),
    ]);
    // r2 has no completion here; r3's completion has no id, so only the attach can set it.
    expect(plan.attaches).toEqual([kept, keptForNull]);
    expect([...plan.completes.keys()]).toEqual(['r1', 'r3']);
  });

  it('keeps only the first begin and the first completion of an id', () => {
    const first = completion('r1', 'gen-a');
    const plan = planBatch([first, completion('r1', 'gen-b')]);
    expect([...plan.completes.values()]).toEqual([first]);
  });
});
