import { describe, expect, it } from 'vitest';
import { DIALECTS, seededRandom, useLedgerDatabases } from '../../test/helpers/ledger-dialects.ts';
import type { ImportRow } from './index.ts';

/** A valid UUIDv7 for `ms` without the crypto cost of a million random ids. */
function cheapUuidv7(ms: number, sequence: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const tail = sequence.toString(16).padStart(15, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6).padStart(12, '0')}`;
}

// Both dialects at once: SQLite works in this process, PostgreSQL mostly in its server.
describe.concurrent('a million costs', () => {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      const dbs = useLedgerDatabases(dialect);

      it('sums a million random costs exactly, in the rows and in the rollup', async () => {
        const ledger = await dbs.open();
        const random = seededRandom(7);
        const base = Date.UTC(2025, 0, 20);
        const rows: ImportRow[] = [];
        let exact = 0n;
        for (let index = 0; index < 1_000_000; index++) {
          const createdAt = base + Math.floor(random() * 20 * 86_400_000);
          // Up to $20 each: the total passes 2^63 picodollars, where a 64-bit SUM would overflow.
          const cost = BigInt(Math.floor(random() * 2e7)) * 1_000_000n + BigInt(Math.floor(random() * 1e6));
          exact += cost;
          rows.push({
            id: cheapUuidv7(createdAt, index),
            module: `m${index % 5}`,
            modelRequested: 'a/b',
            status: 'ok',
            cost,
            costSource: 'usage',
          });
        }
        expect(exact > 2n ** 63n).toBe(true);
        expect(await ledger.importRows(rows)).toBe(1_000_000);
        const fromRollup = await ledger.reports.spend();
        const fromRequests = await ledger.reports.spend({ source: 'requests' });
        expect(fromRollup.source).toBe('rollup');
        expect(fromRollup.rows[0]?.spend).toBe(exact);
        expect(fromRequests.rows[0]?.spend).toBe(exact);
        expect(fromRollup.rows[0]?.requests).toBe(1_000_000);
        const byModule = await ledger.reports.spend({ groupBy: ['module'] });
        expect(byModule.rows.reduce((sum, row) => sum + row.spend, 0n)).toBe(exact);
        // Importing again inserts nothing and counts nothing twice.
        expect(await ledger.importRows(rows.slice(0, 1000))).toBe(0);
        expect((await ledger.reports.spend()).rows[0]?.spend).toBe(exact);
      }, 120_000);
    });
  }
});
