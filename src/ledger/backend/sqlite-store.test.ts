import { existsSync, statSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { cheapUuidv7, useLedgerDatabases } from '../../../test/helpers/ledger-dialects.ts';
import type { ImportRow } from '../index.ts';

describe('sqlite: the store under the write path', () => {
  const dbs = useLedgerDatabases('sqlite');

  it('applies group commits synchronously, and waits while an import holds a transaction open', async () => {
    const ledger = await dbs.open();
    const base = Date.UTC(2025, 0, 20);
    const rows: ImportRow[] = Array.from({ length: 8000 }, (_, index) => ({
      id: cheapUuidv7(base + index, index),
      module: 'import',
      modelRequested: 'a/b',
      status: 'ok',
      cost: 10n,
      costSource: 'usage',
    }));
    // The import yields to the event loop between chunks, inside its transaction: writes arriving
    // then must queue behind it, not start a transaction of their own on the same connection.
    const importing = ledger.importRows(rows);
    const ids: string[] = [];
    const writing = (async () => {
      for (let index = 0; index < 20; index++) {
        const { id } = await ledger.begin({ module: 'live', modelRequested: 'a/b' });
        await ledger.complete(id, { status: 'ok', cost: 1n, costSource: 'usage' });
        ids.push(id);
      }
    })();
    expect(await importing).toBe(8000);
    await writing;
    for (const id of ids) expect((await ledger.getRequest(id))?.status).toBe('ok');
    const report = await ledger.reports.spend({ groupBy: ['module'] });
    expect(report.rows.map((row) => [row.group.module, row.requests, row.spend])).toEqual([
      ['import', 8000, 80_000n],
      ['live', 20, 20n],
    ]);
  });

  it('checkpoints the WAL from its own thread once writes add up, and leaves no WAL once closed', async () => {
    const url = await dbs.url();
    const ledger = await dbs.open({ url });
    const call = async (index: number) => {
      const { id } = await ledger.begin({ module: 'm', userId: `u${index}`, modelRequested: 'a/b' });
      await ledger.complete(id, { status: 'ok', cost: 1n, costSource: 'usage' });
    };
    // Enough write transactions to start the thread (see sqlite-checkpointer.ts).
    for (let index = 0; index < 200; index++) await call(index);
    const before = statSync(url).size;
    for (let index = 200; index < 400; index++) await call(index);
    // The main connection no longer checkpoints so few pages by itself: the database file grows
    // only because the thread copies the WAL into it.
    await vi.waitFor(() => expect(statSync(url).size).toBeGreaterThan(before), { timeout: 10_000 });
    await ledger.close();
    expect(existsSync(`${url}-wal`)).toBe(false);
  });
});
