import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSpoolFiles, readSpoolFile, Spool } from './spool.ts';
import { parseOp, serializeOp, type WriteOp } from './write-ops.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const complete: WriteOp = {
  kind: 'complete',
  id: 'r1',
  values: {
    completed_at: 1,
    status: 'ok',
    generation_id: null,
    model: null,
    provider: null,
    finish_reason: null,
    native_finish_reason: null,
    http_status: 200,
    error_code: null,
    error_message: 'a "quoted" message\nwith a newline',
    prompt_tokens: 1,
    completion_tokens: 2,
    reasoning_tokens: null,
    cached_tokens: null,
    cache_write_tokens: null,
    token_check: null,
    cost: 9_223_372_036_854_775_807n,
    cost_source: 'usage',
    cost_known: 1,
    estimated_cost: null,
    upstream_inference_cost: 0n,
    is_byok: 0,
    latency_ms: 5,
    ttft_ms: null,
    attempts: 1,
    next_reconcile_at: null,
  },
};

describe('spool', () => {
  it('round-trips ops with exact bigints, one JSON line each', () => {
    const line = serializeOp(complete);
    expect(line).not.toContain('\n');
    expect(parseOp(line)).toEqual(complete);
    // The attribution a completion carries from its begin is not stored: a replay reads the row.
    const begun = {
      created_at: 1,
      module: 'm',
      user_id: null,
      key_id: null,
      model_requested: 'a/b',
      estimated_cost: 5n,
    };
    expect(serializeOp({ ...complete, begun } as WriteOp)).toBe(line);
  });

  it('writes each kind of op exactly as the generic JSON replacer would', () => {
    const generic = (op: WriteOp) =>
      JSON.stringify(op, (_key, value: unknown) =>
        typeof value === 'bigint' ? { $bigint: value.toString() } : value,
      );
    const ops: WriteOp[] = [
      complete,
      {
        kind: 'begin',
        row: {
          id: 'r1',
          instance_id: 'i',
          request_id: null,
          created_at: 1,
          module: 'm',
          user_id: 'u',
          key_id: null,
          tags: '["a"]',
          model_requested: 'a/b',
          status: 'pending',
          streamed: 1,
          estimated_cost: -12n,
        },
      },
      { kind: 'attach', id: 'r1', generationId: 'gen-1' },
      { kind: 'bodies', id: 'r1', createdAt: 1, request: '{"a":1}', response: null },
    ];
    for (const op of ops) {
      expect(serializeOp(op)).toBe(generic(op));
      expect(parseOp(serializeOp(op))).toEqual(op);
    }
  });

  it('appends, reads, skips a torn last line, lists orphans and clears', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tollgate-spool-'));
    folders.push(folder);
    const spool = new Spool(join(folder, 'nested'), 'abc');
    await spool.append([complete, { kind: 'attach', id: 'r1', generationId: 'g' }]);
    expect(spool.pendingOps).toBe(2);
    appendFileSync(spool.path, '{"kind":"beg');
    expect(await spool.read()).toHaveLength(2);
    expect(await listSpoolFiles(join(folder, 'nested'))).toEqual([
      { instanceId: 'abc', path: spool.path, kind: 'spool' },
    ]);
    await spool.clear();
    expect(spool.pendingOps).toBe(0);
    expect(await readSpoolFile(spool.path)).toEqual([]);
    expect(await listSpoolFiles(join(folder, 'missing'))).toEqual([]);
  });
});
