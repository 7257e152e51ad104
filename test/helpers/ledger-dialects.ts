import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import type { Ledger, OpenLedgerOptions } from '../../src/ledger/index.ts';
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
    await stopFileServer();
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
