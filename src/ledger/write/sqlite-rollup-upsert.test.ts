import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLedger } from '../open-ledger.ts';
import { coarseEntries } from '../rollup/coarse-rollup.ts';
import { ROLLUP_COUNTERS, type RollupCounters, type RollupEntry } from '../rollup/rollup-delta.ts';
import { MAX_ROLLUP_STATEMENTS, sqliteWriteStatements } from './sqlite-statements.ts';

/** A migrated, empty ledger file, opened bare. */
async function migratedDatabase(dir: string): Promise<BetterSqlite3.Database> {
  const path = join(dir, 'ledger.db');
  const ledger = await openLedger({ url: path, spoolDir: null, heartbeatMs: 0, reconcileAfterMs: null });
  await ledger.close();
  return new BetterSqlite3(path);
}

/** Counters that are non-zero exactly where `mask` has a bit, each value its own. */
function countersFor(mask: number, seed: number): RollupCounters {
  const counters = {} as RollupCounters;
  ROLLUP_COUNTERS.forEach((name, index) => {
    counters[name] = (mask & (1 << index)) !== 0 ? BigInt(seed * 100 + index + 1) : 0n;
  });
  return counters;
}

function entry(cell: number, counters: RollupCounters): RollupEntry {
  return {
    key: {
      day: '2026-11-22',
      module: `m${cell % 3}`,
      user_id: `u${cell}`,
      model: 'a/x',
      provider: 'P',
      key_id: '',
    },
    counters,
  };
}

describe('sqlite: rollup upserts', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds every changed counter, with a bounded set of statements however many counter sets occur', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-rollup-upsert-'));
    const database = await migratedDatabase(dir);
    try {
      const prepare = vi.spyOn(database, 'prepare');
      const statements = sqliteWriteStatements(database);
      // Twice as many distinct counter sets as statements kept: the later ones take the fallback.
      const cells = MAX_ROLLUP_STATEMENTS * 2;
      const first = Array.from({ length: cells }, (_, cell) => entry(cell, countersFor(cell + 1, 1)));
      // The second pass moves other counters of the same cells (inserted above, updated here), some
      // of them down, as a re-costing does.
      const second = Array.from({ length: cells }, (_, cell) => {
        const counters = countersFor((cell * 7919) % (1 << ROLLUP_COUNTERS.length) || 1, 2);
        if (cell % 2 === 0) counters.cost_sum = -counters.cost_sum;
        return entry(cell, counters);
      });
      for (const batch of [first, second]) {
        statements.begin();
        statements.upsertRollup(batch, coarseEntries(batch));
        statements.commit();
      }

      const stored = database.prepare(`select * from rollup_daily`).safeIntegers().all() as Array<
        Record<string, bigint | string>
      >;
      expect(stored).toHaveLength(cells);
      for (const row of stored) {
        const cell = Number(String(row.user_id).slice(1));
        const want = first[cell]?.counters as RollupCounters;
        const then = second[cell]?.counters as RollupCounters;
        for (const name of ROLLUP_COUNTERS)
          expect([cell, name, row[name]]).toEqual([cell, name, want[name] + then[name]]);
      }
      const coarse = database
        .prepare(`select module, ${ROLLUP_COUNTERS.join(', ')} from rollup_daily_coarse order by module`)
        .safeIntegers()
        .all() as Array<Record<string, bigint | string>>;
      const summed = coarseEntries([...first, ...second]).sort((a, b) =>
        a.key.module < b.key.module ? -1 : 1,
      );
      expect(coarse).toEqual(summed.map((cell) => ({ module: cell.key.module, ...cell.counters })));

      const rollupStatements = prepare.mock.calls.filter(([text]) => /insert into rollup_daily /.test(text));
      expect(rollupStatements.length).toBeLessThanOrEqual(MAX_ROLLUP_STATEMENTS + 1);
    } finally {
      database.close();
    }
  });
});
