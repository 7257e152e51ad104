import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ledger-types.ts';
import { GroupCommitWriter } from './group-commit-writer.ts';
import { Spool } from './spool.ts';
import type { WriteOp } from './write-ops.ts';

function op(id: string): WriteOp {
  return { kind: 'attach', id, generationId: `gen-${id}` };
}

const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const isUnavailable = (error: unknown) => (error as { code?: string }).code === 'ECONNREFUSED';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('GroupCommitWriter', () => {
  it('commits what gathered in one transaction and answers callers only after it commits', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const writer = new GroupCommitWriter({
      apply: async (ops) => {
        batches.push(ops.map((item) => (item as { id: string }).id));
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return ops.map(() => true);
      },
      isUnavailable,
      spool: null,
      logger: silentLogger,
      maxBatch: 3,
    });
    const answered: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) =>
      writer.enqueue(op(id)).then((result) => {
        answered.push(id);
        return result;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(writer.queueDepth).toBe(2);
    expect(answered).toEqual([]);
    release();
    expect(await Promise.all(all)).toEqual(Array(5).fill({ applied: true, spooled: false }));
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(writer.stats).toMatchObject({ batches: 2, committedOps: 5, largestBatch: 3 });
  });

  it('isolates an op the database refuses, committing the others', async () => {
    const writer = new GroupCommitWriter({
      apply: async (ops) => {
        if (ops.some((item) => (item as { id: string }).id === 'bad'))
          throw new Error('check constraint failed');
        return ops.map(() => true);
      },
      isUnavailable,
      spool: null,
      logger: silentLogger,
    });
    const results = await Promise.allSettled(['x', 'bad', 'y'].map((id) => writer.enqueue(op(id))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(writer.health().ready).toBe(true);
  });

  it('spools while unavailable, keeps order, and replays before anything new', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tollgate-writer-'));
    folders.push(folder);
    const spool = new Spool(folder, 'instance-1');
    const committed: string[] = [];
    let down = true;
    const writer = new GroupCommitWriter({
      apply: async (ops) => {
        if (down) throw unavailable;
        committed.push(...ops.map((item) => (item as { id: string }).id));
        return ops.map(() => true);
      },
      isUnavailable,
      spool,
      logger: silentLogger,
      retryMs: 60_000,
    });
    expect(await writer.enqueue(op('1'))).toEqual({ applied: false, spooled: true });
    expect(await writer.enqueue(op('2'))).toEqual({ applied: false, spooled: true });
    expect(writer.health()).toMatchObject({
      ready: false,
      spooling: true,
      spooledOps: 2,
      lastError: /ECONNREFUSED/,
    });
    expect((await spool.read()).map((item) => (item as { id: string }).id)).toEqual(['1', '2']);
    down = false;
    expect(await writer.enqueue(op('3'))).toEqual({ applied: true, spooled: false });
    expect(committed).toEqual(['1', '2', '3']);
    expect(writer.health()).toMatchObject({ ready: true, spooledOps: 0 });
    await writer.close();
    await expect(writer.enqueue(op('4'))).rejects.toMatchObject({ code: 'ledger_closed' });
  });

  it('gathers for the window when one is set', async () => {
    const sizes: number[] = [];
    const writer = new GroupCommitWriter({
      apply: async (ops) => {
        sizes.push(ops.length);
        return ops.map(() => true);
      },
      isUnavailable,
      spool: null,
      logger: silentLogger,
      windowMs: 20,
    });
    const first = writer.enqueue(op('a'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = writer.enqueue(op('b'));
    await Promise.all([first, second]);
    expect(sizes).toEqual([2]);
    await writer.flush();
  });
});
