import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ImportRow, Ledger, OpenLedgerOptions } from '../../src/ledger/index.ts';
import { openLedger } from '../../src/ledger/index.ts';
import type { Clock } from '../../src/shared/clock.ts';
import { createTestDatabase, type PostgresServer, startPostgres, type TestDatabase } from './postgres.ts';

/**
 * The DIALECTS loop for ledger tests (after kysely's test-setup): every suite runs against SQLite
 * and PostgreSQL. `TOLLGATE_TEST_DIALECTS=sqlite` (or `postgres`) narrows the list.
 *
 *   for (const dialect of DIALECTS) describe(`${dialect}: begin/complete`, () => {
 *     const db = useLedgerDatabases(dialect);
 *     it('…', async () => { const ledger = await db.open(); … });
 *   });
 */
export type TestDialect = 'sqlite' | 'postgres';

export const DIALECTS: readonly TestDialect[] = (process.env.TOLLGATE_TEST_DIALECTS ?? 'sqlite,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is TestDialect => name === 'sqlite' || name === 'postgres');

let fileServer: Promise<PostgresServer> | undefined;

/** The PostgreSQL server of this run (from the global setup), or one started for this file. */
export async function postgresServerUrl(): Promise<string> {
  let provided: { url: string | null; error: string | null } | undefined;
  try {
    provided = inject('tollgatePostgres');
  } catch {
    provided = undefined;
  }
  if (provided?.error) throw new Error(provided.error);
  if (provided?.url) return provided.url;
  if (process.env.TOLLGATE_TEST_PG_URL) return process.env.TOLLGATE_TEST_PG_URL;
  // No global setup configured: start a server for this test file (slower, still real).
  fileServer ??= startPostgres();
  return (await fileServer).url;
}

export async function stopFileServer(): Promise<void> {
  const server = fileServer;
  fileServer = undefined;
  if (server) await (await server).remove();
}

export interface LedgerDatabases {
  /** A new empty database: a SQLite file in a temporary folder, or a new PostgreSQL database. */
  url(): Promise<string>;
  /** Opens a ledger (on a new database unless `url` is given) with test defaults; closed after the test file. */
  open(options?: OpenLedgerOptions): Promise<Ledger>;
  /** A folder removed after the file. */
  folder(): string;
}

/** Databases and ledgers for one suite, cleaned up after it; call inside `describe`. */
export function useLedgerDatabases(dialect: TestDialect): LedgerDatabases {
  const folders: string[] = [];
  const databases: TestDatabase[] = [];
  const ledgers: Ledger[] = [];
  const folder = () => {
    const path = mkdtempSync(join(tmpdir(), 'tollgate-ledger-'));
    folders.push(path);
    return path;
  };
  const url = async () => {
    if (dialect === 'sqlite') return join(folder(), 'ledger.db');
    const database = await createTestDatabase(await postgresServerUrl());
    databases.push(database);
    return database.url;
  };
  afterAll(async () => {
    for (const ledger of ledgers) await ledger.close().catch(() => undefined);
    for (const database of databases) await database.drop().catch(() => undefined);
    for (const path of folders) rmSync(path, { recursive: true, force: true });
    if (dialect === 'postgres') await stopFileServer();
  });
  return {
    url,
    folder,
    async open(options: OpenLedgerOptions = {}) {
      const ledger = await openLedger({
        heartbeatMs: 0,
        spoolDir: null,
        postgres: { poolSize: 4 },
        sqlite: { synchronous: 'normal' },
        ...options,
        url: options.url ?? (await url()),
      });
      ledgers.push(ledger);
      return ledger;
    },
  };
}

/**
 * A SQLite disk failure a test switches on and off: pass `faults` to `openLedger`; while `down`,
 * every write transaction fails as a full or broken disk would (the ledger spools).
 */
export function switchableDiskFailure(): {
  down: boolean;
  faults: { beforeWrite: () => void };
} {
  const failure = {
    down: false,
    faults: {
      beforeWrite: () => {
        if (failure.down) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
      },
    },
  };
  return failure;
}

/** A clock the test moves by hand; `sleep` resolves when the time is reached. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start = Date.UTC(2025, 0, 15, 12)): ManualClock {
  let now = start;
  const sleepers: Array<{ until: number; resolve(): void }> = [];
  const wake = () => {
    for (const sleeper of [...sleepers]) {
      if (sleeper.until <= now) {
        sleepers.splice(sleepers.indexOf(sleeper), 1);
        sleeper.resolve();
      }
    }
  };
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = { until: now + ms, resolve };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          reject(signal.reason);
        });
      }),
    set(ms) {
      now = ms;
      wake();
    },
    advance(ms) {
      now += ms;
      wake();
    },
  };
}

/** An independent connection to the same database, to check what another process would see. */
export interface SecondConnection {
  query(text: string, parameters?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function secondConnection(dialect: TestDialect, url: string): Promise<SecondConnection> {
  if (dialect === 'sqlite') {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const database = new BetterSqlite3(url, { readonly: true });
    database.defaultSafeIntegers(true);
    return {
      query: async (text, parameters = []) =>
        database.prepare(text).all(...parameters) as Record<string, unknown>[],
      close: async () => {
        database.close();
      },
    };
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    query: async (text, parameters = []) => {
      let index = 0;
      const result = await client.query(
        text.replace(/\?/g, () => `$${++index}`),
        parameters,
      );
      return result.rows as Record<string, unknown>[];
    },
    close: () => client.end(),
  };
}

/** A small seeded PRNG (mulberry32), so a failure replays. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A valid UUIDv7 for `ms` without the crypto cost of a million random ids. */
export function cheapUuidv7(ms: number, sequence: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const tail = sequence.toString(16).padStart(15, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6).padStart(12, '0')}`;
}

/** Rows for the bulk test: `TOLLGATE_TEST_BULK_ROWS` (default a million) random costs and their exact sum. */
export function randomCostRows(seed: number): { rows: ImportRow[]; exact: bigint } {
  const count = Number(process.env.TOLLGATE_TEST_BULK_ROWS ?? 1_000_000);
  const random = seededRandom(seed);
  const base = Date.UTC(2025, 0, 20);
  const rows: ImportRow[] = [];
  let exact = 0n;
  for (let index = 0; index < count; index++) {
    const createdAt = base + Math.floor(random() * 20 * 86_400_000);
    // Up to $20 each: a million of them pass 2^63 picodollars, where a 64-bit SUM overflows.
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
  return { rows, exact };
}

/** The million-costs test for one dialect (see `ledger-million.test.ts`). */
export function describeMillionCosts(dialect: TestDialect): void {
  describe(`${dialect}: a million costs`, () => {
    const dbs = useLedgerDatabases(dialect);
    it('sums them exactly, in the rows and in the rollup', async () => {
      const ledger = await dbs.open();
      const { rows, exact } = randomCostRows(7);
      if (rows.length >= 1_000_000) expect(exact > 2n ** 63n).toBe(true);
      expect(await ledger.importRows(rows)).toBe(rows.length);
      const fromRollup = await ledger.reports.spend();
      const fromRequests = await ledger.reports.spend({ source: 'requests' });
      expect(fromRollup.source).toBe('rollup');
      expect(fromRollup.rows[0]?.spend).toBe(exact);
      expect(fromRequests.rows[0]?.spend).toBe(exact);
      expect(fromRollup.rows[0]?.requests).toBe(rows.length);
      const byModule = await ledger.reports.spend({ groupBy: ['module'] });
      expect(byModule.rows.reduce((sum, row) => sum + row.spend, 0n)).toBe(exact);
      // Importing again inserts nothing and counts nothing twice.
      expect(await ledger.importRows(rows.slice(0, 1000))).toBe(0);
      expect((await ledger.reports.spend()).rows[0]?.spend).toBe(exact);
    }, 300_000);
  });
}
