import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, type PostgresServer, startPostgres } from '../test/helpers/postgres.ts';
import { median } from './stats.ts';

/**
 * Ledger databases for the ledger sections: a SQLite file in a temp folder, and a database on a
 * throwaway PostgreSQL cluster (or on the server named by TOLLGATE_BENCH_PG_URL). Durability is
 * as in production: SQLite in WAL with the gateway's `synchronous` (`--sqlite-sync`, NORMAL as
 * shipped) for the write figures; PostgreSQL with fsync on and synchronous_commit on for the bench
 * database (the test helper turns both off for speed, which would flatter write rates).
 */

export interface BenchDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

export function sqliteDatabase(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-ledger-'));
  return {
    dialect: 'sqlite',
    url: join(dir, 'ledger.db'),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface PostgresHost {
  /** Where the server came from, for the report. */
  origin: string;
  createDatabase(): Promise<BenchDatabase>;
  close(): Promise<void>;
}

/** A PostgreSQL server to create bench databases on, or the reason there is none. */
export async function postgresHost(): Promise<PostgresHost | { skipped: string }> {
  const fromEnv = process.env.TOLLGATE_BENCH_PG_URL;
  let server: PostgresServer | undefined;
  let serverUrl: string;
  if (fromEnv) {
    serverUrl = fromEnv;
  } else {
    try {
      server = await startPostgres({ fsync: true });
      serverUrl = server.url;
    } catch (error) {
      return { skipped: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    origin: fromEnv ? 'TOLLGATE_BENCH_PG_URL' : 'throwaway cluster (fsync on)',
    async createDatabase() {
      const database = await createTestDatabase(serverUrl);
      await adminQuery(serverUrl, `ALTER DATABASE ${database.name} SET synchronous_commit = on`);
      return { dialect: 'postgres', url: database.url, drop: () => database.drop() };
    },
    close: async () => {
      await server?.remove();
    },
  };
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Runs a statement on a bench database (PostgreSQL only: ANALYZE after a bulk seed). */
export async function postgresStatement(url: string, text: string): Promise<void> {
  await adminQuery(url, text);
}

/** How many rows a table holds (to say how much the rollups condense the requests). */
export async function countRows(
  database: BenchDatabase,
  table: 'rollup_daily' | 'rollup_daily_coarse' | 'requests',
): Promise<number> {
  if (database.dialect === 'sqlite') {
    const db = new Database(database.url, { readonly: true });
    try {
      const row = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
      return Number(row.n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Median milliseconds of a read-only query over its own connection (after one untimed run): for
 * reads the ledger's API does not offer, such as a report forced onto a particular table.
 * Parameters are written `?` for both dialects.
 */
export async function timedQuery(
  database: BenchDatabase,
  text: string,
  parameters: unknown[],
  repeats: number,
): Promise<number> {
  let run: () => Promise<unknown>;
  let close: () => Promise<void>;
  if (database.dialect === 'sqlite') {
    const db = new Database(database.url, { readonly: true });
    db.defaultSafeIntegers(true);
    const statement = db.prepare(text);
    run = async () => statement.all(...parameters);
    close = async () => {
      db.close();
    };
  } else {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    let index = 0;
    const numbered = text.replace(/\?/g, () => `$${++index}`);
    run = () => client.query(numbered, parameters);
    close = () => client.end();
  }
  try {
    await run();
    const samples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const startedAt = performance.now();
      await run();
      samples.push(performance.now() - startedAt);
    }
    return median(samples);
  } finally {
    await close();
  }
}

/** Starts PostgreSQL once, on first use, for every ledger section of the run. */
export function lazyPostgres(enabled: boolean): {
  get(): Promise<PostgresHost | { skipped: string }>;
  close(): Promise<void>;
} {
  let host: Promise<PostgresHost | { skipped: string }> | undefined;
  return {
    get() {
      host ??= enabled
        ? postgresHost()
        : Promise.resolve({ skipped: 'PostgreSQL: skipped (--no-postgres).' });
      return host;
    },
    async close() {
      const started = await host;
      if (started && 'close' in started) await started.close();
    },
  };
}
