import { describe, expect, it } from 'vitest';
import {
  DIALECTS,
  manualClock,
  secondConnection,
  useLedgerDatabases,
} from '../../../test/helpers/ledger-dialects.ts';
import { uuidv7 } from '../../shared/ids.ts';
import type { ImportRow } from '../index.ts';

function row(createdAt: number, cost: bigint): ImportRow {
  return {
    id: uuidv7(createdAt),
    module: 'm',
    modelRequested: 'a/b',
    status: 'ok',
    cost,
    costSource: 'usage',
  };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: partitions and retention`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('keeps requests in monthly partitions on PostgreSQL and drops old ones; the rollup stays', async () => {
      const url = await dbs.url();
      const ledger = await dbs.open({ url, clock: manualClock(Date.UTC(2025, 0, 15)) });
      const partitions = await ledger.listPartitions();
      if (dialect === 'postgres') {
        expect(partitions).toEqual([
          'requests_default',
          'requests_p202501',
          'requests_p202502',
          'requests_p202503',
        ]);
      } else {
        expect(partitions).toEqual([]);
      }
      await ledger.importRows([
        row(Date.UTC(2024, 10, 3), 1n),
        row(Date.UTC(2024, 11, 31, 23, 59), 2n),
        row(Date.UTC(2025, 0, 1), 4n),
        row(Date.UTC(2025, 0, 14), 8n),
      ]);
      if (dialect === 'postgres') {
        expect(await ledger.listPartitions()).toEqual(
          expect.arrayContaining(['requests_p202411', 'requests_p202412', 'requests_p202501']),
        );
        const other = await secondConnection(dialect, url);
        const placed = await other.query(
          'select tableoid::regclass::text as part, count(*)::int as n from requests group by 1 order by 1',
        );
        await other.close();
        expect(placed).toEqual([
          { part: 'requests_p202411', n: 1 },
          { part: 'requests_p202412', n: 1 },
          { part: 'requests_p202501', n: 2 },
        ]);
      }
      const dropped = await ledger.dropRequestsBefore(Date.UTC(2025, 0, 1));
      if (dialect === 'postgres') {
        expect(dropped).toEqual({
          partitionsDropped: ['requests_p202411', 'requests_p202412'],
          rowsDeleted: 0,
        });
      } else {
        expect(dropped).toEqual({ partitionsDropped: [], rowsDeleted: 2 });
      }
      const partial = await ledger.dropRequestsBefore(Date.UTC(2025, 0, 2));
      expect(partial).toEqual({ partitionsDropped: [], rowsDeleted: 1 });
      expect((await ledger.reports.recent()).map((recent) => recent.cost)).toEqual([8n]);
      // Retention removes raw rows only: the rollup still has every day.
      expect((await ledger.reports.spend()).rows[0]?.spend).toBe(15n);
      expect((await ledger.reports.spend({ source: 'requests' })).rows[0]?.spend).toBe(8n);

      // A cut-off that is not a past time in epoch ms deletes nothing: a string would compare
      // above every number in SQLite, a future time would take calls still in flight.
      for (const bad of ['2020-01-01', Number.NaN, Date.now() + 60_000, -1, 1.5]) {
        await expect(ledger.dropRequestsBefore(bad as number)).rejects.toThrow(
          /dropRequestsBefore takes a time in epoch milliseconds, not in the future/,
        );
      }
      await expect(ledger.purgeBodies(-1000)).rejects.toThrow(
        /purgeBodies takes an age in whole milliseconds/,
      );
      expect(await ledger.reports.recent()).toHaveLength(1);
    });
  });
}
