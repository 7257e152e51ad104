import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ledger-types.ts';
import { GroupCommitWriter } from './group-commit-writer.ts';
import { WriteJournal } from './journal.ts';
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

describe('GroupCommitWriter committing when idle', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  function syncWriter(
    options: {
      refuse?: string;
      unreachable?: () => boolean;
      spool?: Spool | null;
      journal?: WriteJournal;
      journalDelayMs?: number;
    } = {},
  ) {
    const batches: string[][] = [];
    const writer = new GroupCommitWriter({
      // Synchronous, as SQLite's.
      apply: (ops) => {
        const ids = ops.map((item) => (item as { id: string }).id);
        if (options.unreachable?.()) throw unavailable;
        if (options.refuse && ids.includes(options.refuse)) throw new Error('check constraint failed');
        batches.push(ids);
        return ops.map(() => true);
      },
      isUnavailable,
      spool: options.spool ?? null,
      logger: silentLogger,
      retryMs: 60_000,
      commitWhenIdle: true,
      journal: options.journal ?? null,
      journalDelayMs: options.journalDelayMs ?? 60_000,
    });
    return { writer, batches };
  }

  function journalIn(folder?: string): WriteJournal {
    const dir = folder ?? mkdtempSync(join(tmpdir(), 'tollgate-journal-'));
    folders.push(dir);
    return new WriteJournal(dir, 'instance-j');
  }
  const always = () => true;

  it('commits the first op of a turn inside enqueue; the rest of the turn gathers into one batch', async () => {
    const { writer, batches } = syncWriter();
    const first = writer.enqueue(op('a'));
    expect(batches).toEqual([['a']]);
    const later = [writer.enqueue(op('b')), writer.enqueue(op('c'))];
    expect(batches).toEqual([['a']]);
    expect(await Promise.all([first, ...later])).toEqual(Array(3).fill({ applied: true, spooled: false }));
    expect(batches).toEqual([['a'], ['b', 'c']]);
    await nextTurn();
    await nextTurn();
    void writer.enqueue(op('d'));
    expect(batches.at(-1)).toEqual(['d']);
    await writer.close();
  });

  it('keeps batching when callers answered by a batch enqueue again in the same turn', async () => {
    const { writer, batches } = syncWriter();
    await nextTurn();
    // Each caller writes three ops in a row, like begin, attach, complete.
    await Promise.all(
      Array.from({ length: 50 }, async (_, caller) => {
        for (let step = 0; step < 3; step++) await writer.enqueue(op(`${caller}-${step}`));
      }),
    );
    expect(batches.flat()).toHaveLength(150);
    // One op alone (the first, committed at once), then one batch per round of the callers.
    expect(batches).toHaveLength(4);
    expect(batches[0]).toEqual(['0-0']);
    expect(batches.slice(1).every((batch) => batch.length >= 49)).toBe(true);
    await writer.close();
  });

  it('refuses a bad op alone and spools while the database is unreachable, as batches do', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tollgate-writer-'));
    folders.push(folder);
    let down = false;
    const { writer, batches } = syncWriter({
      refuse: 'bad',
      unreachable: () => down,
      spool: new Spool(folder, 'instance-2'),
    });
    await expect(writer.enqueue(op('bad'))).rejects.toThrow(/check constraint/);
    await nextTurn();
    down = true;
    expect(await writer.enqueue(op('x'))).toEqual({ applied: false, spooled: true });
    expect(writer.health()).toMatchObject({ spooling: true, spooledOps: 1 });
    down = false;
    await nextTurn();
    // With a spool to replay first, the writer is not idle: the op waits for the replay.
    expect(await writer.enqueue(op('y'))).toEqual({ applied: true, spooled: false });
    expect(batches).toEqual([['x'], ['y']]);
    await writer.close();
  });

  it('answers journaled ops at once and commits them together after the delay', async () => {
    const journal = journalIn();
    const { writer, batches } = syncWriter({ journal, journalDelayMs: 20 });
    expect(await writer.enqueue(op('a'), always)).toEqual({ applied: true, spooled: false });
    expect(await writer.enqueue(op('b'), always)).toEqual({ applied: true, spooled: false });
    expect(batches).toEqual([]);
    expect(readFileSync(journal.path, 'utf8').trim().split('\n')).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toEqual([['a', 'b']]);
    expect(writer.stats).toMatchObject({ journaledOps: 2, committedOps: 2 });
    await writer.close();
    expect(existsSync(journal.path)).toBe(false);
  });

  it('commits journaled ops at once when an op that waits arrives, on flush and on commitJournaledNow', async () => {
    const { writer, batches } = syncWriter({ journal: journalIn() });
    await writer.enqueue(op('a'), always);
    // Not journalable: it waits for its commit, and takes the journaled op along, in order.
    expect(await writer.enqueue(op('b'))).toEqual({ applied: true, spooled: false });
    expect(batches).toEqual([['a', 'b']]);
    await nextTurn();
    await writer.enqueue(op('c'), always);
    // Synchronous, as a read barrier needs: the commit is done when the call returns.
    writer.commitJournaledNow();
    expect(batches).toEqual([['a', 'b'], ['c']]);
    await writer.enqueue(op('d'), always);
    await writer.flush();
    expect(batches).toEqual([['a', 'b'], ['c'], ['d']]);
    // Journaling is asked about only when it could happen, and a refusal means a commit first.
    await nextTurn();
    expect(await writer.enqueue(op('e'), () => false)).toEqual({ applied: true, spooled: false });
    expect(batches).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    await writer.close();
  });

  it('commits instead when the journal cannot be written', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tollgate-writer-'));
    folders.push(folder);
    // The journal's folder is a file: every append fails.
    writeFileSync(join(folder, 'not-a-folder'), '');
    const { writer, batches } = syncWriter({ journal: journalIn(join(folder, 'not-a-folder')) });
    expect(await writer.enqueue(op('a'), always)).toEqual({ applied: true, spooled: false });
    expect(batches).toEqual([['a']]);
    expect(writer.stats.journaledOps).toBe(0);
    await writer.close();
  });

  it('keeps the journal file when a journaled op could not be committed nor spooled', async () => {
    const journal = journalIn();
    let down = false;
    const { writer } = syncWriter({ journal, unreachable: () => down });
    await writer.enqueue(op('a'), always);
    down = true;
    await writer.close();
    // The next process to open the ledger replays it.
    expect(readFileSync(journal.path, 'utf8')).toContain('"id":"a"');
  });
});
