import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  DIALECTS,
  manualClock,
  secondConnection,
  seededRandom,
  type TestDialect,
  useLedgerDatabases,
} from '../../test/helpers/ledger-dialects.ts';
import type { Ledger, LedgerRow, ReportRow, RequestOutcome } from './index.ts';
import {
  LEDGER_MIGRATION_LOCK_TABLE,
  LEDGER_MIGRATION_TABLE,
  ledgerMigrations,
} from './migrations/migration-provider.ts';
import { ROLLUP_COUNTERS } from './rollup/rollup-delta.ts';

const ALL = ['day', 'module', 'user', 'model', 'provider', 'key'] as const;

/** The rollup cells computed by hand from the rows themselves. */
function expectedCells(rows: readonly LedgerRow[]) {
  const cells = new Map<
    string,
    { requests: number; spend: bigint; unknown: number; errors: number; prompt: number }
  >();
  for (const row of rows) {
    if (row.status === 'pending') continue;
    const key = [
      new Date(row.createdAt).toISOString().slice(0, 10),
      row.module,
      row.userId,
      row.model ?? row.modelRequested,
      row.provider,
      row.keyId,
    ].join('|');
    const cell = cells.get(key) ?? { requests: 0, spend: 0n, unknown: 0, errors: 0, prompt: 0 };
    cell.requests += 1;
    cell.spend += row.cost ?? 0n;
    cell.unknown += row.cost === null ? 1 : 0;
    cell.errors += row.status === 'error' ? 1 : 0;
    cell.prompt += row.promptTokens ?? 0;
    cells.set(key, cell);
  }
  return cells;
}

function reportCells(rows: readonly ReportRow[]) {
  return new Map(
    rows.map((row) => [
      ALL.map((dim) => row.group[dim]).join('|'),
      {
        requests: row.requests,
        spend: row.spend,
        unknown: row.unknownCostCount,
        errors: row.errors,
        prompt: row.promptTokens,
      },
    ]),
  );
}

async function allRows(ledger: Ledger): Promise<LedgerRow[]> {
  return await ledger.reports.recent({ limit: 1000 });
}

const COARSE_KEY = ['day', 'module', 'model', 'provider', 'key_id'] as const;

/** The two rollup tables, read as text: the daily one summed over users, and the coarse one. */
async function rollupTables(dialect: TestDialect, url: string) {
  const other = await secondConnection(dialect, url);
  try {
    const key = COARSE_KEY.join(', ');
    const fine = await other.query(
      `select ${key}, ${ROLLUP_COUNTERS.map((name) => `sum(${name}) as ${name}`).join(', ')}
       from rollup_daily group by ${key}`,
    );
    const coarse = await other.query(`select ${key}, ${ROLLUP_COUNTERS.join(', ')} from rollup_daily_coarse`);
    const cells = (rows: Record<string, unknown>[]) =>
      new Map(
        rows
          // A cell whose counters all net to zero may linger in the daily rollup; the coarse one skips it.
          .filter((row) => ROLLUP_COUNTERS.some((name) => String(row[name]) !== '0'))
          .map((row) => [
            COARSE_KEY.map((name) => row[name]).join('|'),
            ROLLUP_COUNTERS.map((name) => `${name}=${String(row[name])}`).join(' '),
          ]),
      );
    return { fine: cells(fine), coarse: cells(coarse) };
  } finally {
    await other.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: rollup`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('equals the sum of its rows after random completions, interruptions and re-costing', async () => {
      const random = seededRandom(20250115);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const clock = manualClock(Date.UTC(2025, 0, 30, 20));
      const url = await dbs.url();
      const ledger = await dbs.open({ url, clock, stalePendingMs: 3_600_000 });
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 240 }, async (_, index) => {
          const createdAt = clock.now() - Math.floor(random() * 3 * 86_400_000);
          const { id } = await ledger.begin({
            createdAt,
            module: pick(['summarize', 'extract', 'chat']),
            userId: pick(['u1', 'u2', null]),
            keyId: pick(['k1', null]),
            modelRequested: pick(['a/x', 'b/y']),
          });
          ids.push(id);
          if (index % 12 === 0) return; // left pending, then interrupted
          const outcome: RequestOutcome = {
            status: pick(['ok', 'ok', 'ok', 'error', 'filtered', 'cancelled']),
            model: pick([null, 'a/x-001', 'b/y']),
            provider: pick([null, 'P1', 'P2']),
            generationId: `gen-${index}`,
            usage: {
              promptTokens: Math.floor(random() * 1000),
              completionTokens: Math.floor(random() * 500),
              // Sometimes absent, so cells see every mix of zero and non-zero counters.
              reasoningTokens: random() < 0.5 ? null : Math.floor(random() * 300),
              cachedTokens: random() < 0.5 ? null : Math.floor(random() * 200),
              cacheWriteTokens: random() < 0.7 ? null : Math.floor(random() * 100),
            },
            upstreamInferenceCost: random() < 0.7 ? null : BigInt(Math.floor(random() * 1e11)),
            cost: random() < 0.2 ? null : BigInt(Math.floor(random() * 1e12)),
            costSource: 'usage',
            estimatedCost: BigInt(Math.floor(random() * 1e12)),
            latencyMs: Math.floor(random() * 5000),
          };
          await ledger.complete(id, outcome);
        }),
      );
      clock.advance(4 * 86_400_000);
      expect(await ledger.sweepInterrupted()).toBe(20);
      // Re-cost a random third through reconciliation, with other tokens and providers.
      for (const id of ids.filter(() => random() < 0.33)) {
        await ledger.reconciliation.applyGeneration(
          id,
          {
            id: 'gen',
            total_cost: random() < 0.5 ? random() * 0.5 : 0.000123,
            native_tokens_prompt: Math.floor(random() * 900),
            provider_name: 'Reconciled',
          },
          clock.now(),
        );
      }
      const rows = await allRows(ledger);
      expect(rows).toHaveLength(240);
      const fromRollup = await ledger.reports.spend({ groupBy: ALL, source: 'rollup' });
      const fromRequests = await ledger.reports.spend({ groupBy: ALL, source: 'requests' });
      expect(fromRollup.source).toBe('rollup');
      expect(reportCells(fromRollup.rows)).toEqual(expectedCells(rows));
      expect(reportCells(fromRequests.rows)).toEqual(expectedCells(rows));

      // The coarse rollup is the daily one summed over users, cell by cell, every counter.
      const tables = await rollupTables(dialect, url);
      expect(tables.coarse.size).toBeGreaterThan(0);
      expect(tables.coarse).toEqual(tables.fine);
      // And a report without users (served by the coarse rollup) agrees with the rows.
      const coarseDims = ['day', 'module', 'model', 'provider', 'key'] as const;
      const byCoarse = await ledger.reports.spend({ groupBy: coarseDims, source: 'rollup' });
      const fromRowsByCoarse = await ledger.reports.spend({ groupBy: coarseDims, source: 'requests' });
      expect(byCoarse.rows).toEqual(fromRowsByCoarse.rows);
    });

    it('fills the coarse rollup from the daily one when an existing database upgrades', async () => {
      const url = await dbs.url();
      // A database as the previous version left it: migrated up to 0002, with daily cells.
      const old = oldKysely(dialect, url);
      try {
        const migrator = new Migrator({
          db: old,
          provider: ledgerMigrations(dialect),
          migrationTableName: LEDGER_MIGRATION_TABLE,
          migrationLockTableName: LEDGER_MIGRATION_LOCK_TABLE,
        });
        const { error } = await migrator.migrateTo('0002_rollup_budgets_keys');
        expect(error).toBeUndefined();
        const random = seededRandom(77);
        const cells = new Map<string, Record<string, string | bigint>>();
        for (let index = 0; index < 300; index++) {
          const cell: Record<string, string | bigint> = {
            day: `2025-01-${String(10 + Math.floor(random() * 5))}`,
            module: `m${Math.floor(random() * 3)}`,
            user_id: `u${Math.floor(random() * 40)}`,
            model: `a/${Math.floor(random() * 2)}`,
            provider: random() < 0.5 ? '' : 'P',
            key_id: random() < 0.5 ? '' : 'k1',
          };
          // Costs of 2^56 picodollars (some $72,000) each: the backfill must add them exactly.
          for (const name of ROLLUP_COUNTERS) cell[name] = BigInt(Math.floor(random() * 1e6)) * 1_000_000n;
          cell.cost_sum = 2n ** 56n + BigInt(index);
          cells.set(COARSE_KEY.map((name) => cell[name]).join('|') + String(cell.user_id), cell);
        }
        await old
          .insertInto('rollup_daily')
          .values([...cells.values()])
          .execute();
      } finally {
        await old.destroy();
      }
      const ledger = await dbs.open({ url });
      const tables = await rollupTables(dialect, url);
      expect(tables.fine.size).toBeGreaterThan(20);
      expect(tables.coarse).toEqual(tables.fine);
      // From then on, writes keep the two equal.
      const { id } = await ledger.begin({ module: 'm0', userId: 'u1', modelRequested: 'a/0' });
      await ledger.complete(id, { status: 'ok', cost: 5n, costSource: 'usage', model: 'a/0' });
      const after = await rollupTables(dialect, url);
      expect(after.coarse).toEqual(after.fine);
      expect(after.coarse.size).toBe(tables.coarse.size + 1);
      // Key budgets and reports read the coarse rollup now: the daily one keeps only its user index.
      const other = await secondConnection(dialect, url);
      const indexes = await other.query(
        dialect === 'sqlite'
          ? `select name from sqlite_master where type = 'index' and tbl_name = 'rollup_daily' and sql is not null`
          : `select indexname as name from pg_indexes where tablename = 'rollup_daily' and indexname <> 'rollup_daily_pkey'`,
      );
      await other.close();
      expect(indexes.map((row) => row.name)).toEqual(['rollup_daily_user_day']);
    });
  });
}

/** A bare Kysely on a test database, as an older version of the ledger would have opened it. */
// biome-ignore lint/suspicious/noExplicitAny: the schema of a past version, written by its migrations.
function oldKysely(dialect: TestDialect, url: string): Kysely<any> {
  if (dialect === 'sqlite') {
    const database = new BetterSqlite3(url);
    database.defaultSafeIntegers(true);
    return new Kysely({ dialect: new SqliteDialect({ database }) });
  }
  return new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
}
