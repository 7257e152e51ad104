import { type Expression, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { LedgerLogger } from '../ledger-types.ts';
import type { Database } from '../schema/database.ts';
import { PREPARED_STATEMENTS, postgresBulkStatements } from '../write/bulk-postgres.ts';
import { applyPostgresBatch } from '../write/postgres-write-batch.ts';
import {
  createMonthPartitions,
  dropPartitionsBefore,
  listRequestPartitions,
  type MonthPartition,
  monthPartitionOf,
} from './postgres-partitions.ts';
import { preparingPool } from './prepared-pool.ts';
import { runMigrations } from './run-migrations.ts';
import type { StoreBackend } from './store-backend.ts';
import { isPostgresUnavailable } from './unavailable-errors.ts';

export interface PostgresStoreOptions {
  connectionString: string;
  logger: LedgerLogger;
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Months of partitions created ahead of the current one at open (default 2). */
  partitionsAhead?: number;
  now: () => number;
}

const MIGRATION_LOCK_KEY = 7_401_338_200;

/** PostgreSQL through a pg Pool (sessions in UTC), `requests` partitioned by month. */
export function createPostgresStore(options: PostgresStoreOptions): StoreBackend {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    options: '-c TimeZone=UTC',
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that ends the process.
  pool.on('error', (error) =>
    options.logger.warn({ err: error.message }, 'ledger: idle PostgreSQL client failed'),
  );
  // A client in use whose server goes away (an outage mid-transaction) emits 'error' on the client
  // itself, where the pool's handler does not reach: without this the process would crash. The
  // query in flight still fails, and the writer spools.
  pool.on('connect', (client) => {
    client.on('error', (error) =>
      options.logger.warn({ err: error.message }, 'ledger: PostgreSQL connection failed'),
    );
  });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: preparingPool(pool, PREPARED_STATEMENTS) }),
  });
  const knownMonths = new Set<string>();

  async function ensureMonths(months: MonthPartition[], target: Kysely<Database> = db): Promise<void> {
    const missing = months.filter((month) => !knownMonths.has(month.name));
    if (missing.length === 0) return;
    await createMonthPartitions(target, missing);
    for (const month of missing) knownMonths.add(month.name);
  }

  function monthsAround(now: number): MonthPartition[] {
    const months: MonthPartition[] = [];
    let month = monthPartitionOf(now);
    for (let i = 0; i <= (options.partitionsAhead ?? 2); i++) {
      months.push(month);
      month = monthPartitionOf(month.toMs);
    }
    return months;
  }

  const backend: StoreBackend = {
    dialect: 'postgres',
    db,
    bulk: postgresBulkStatements,
    applyWriteBatch: (ops) => applyPostgresBatch(backend, ops),
    // Every commit is a round trip (and an fsync on the server): batching pays.
    cheapCommits: false,
    journalDir: null,
    // While one import transaction's rows are prepared here, the server inserts another's.
    importConcurrency: 2,
    writeTransaction: (work) => db.transaction().execute(work),
    async migrate() {
      await db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
        try {
          await runMigrations(connection, 'postgres');
          await ensureMonths(monthsAround(options.now()), connection);
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
        }
      });
    },
    async ensurePartitions(times) {
      const months = new Map<string, MonthPartition>();
      for (const time of times) {
        const month = monthPartitionOf(time);
        if (!knownMonths.has(month.name)) months.set(month.name, month);
      }
      await ensureMonths([...months.values()]);
    },
    async dropRequestsBefore(beforeMs) {
      const result = await dropPartitionsBefore(db, beforeMs);
      for (const name of result.partitionsDropped) knownMonths.delete(name);
      return result;
    },
    listPartitions: () => listRequestPartitions(db),
    isUnavailableError: isPostgresUnavailable,
    param: (value, type) => sql`cast(${value} as ${sql.raw(type)})`,
    dayOfMs: (ms: Expression<unknown>) =>
      sql<string>`to_char(to_timestamp(${ms}::double precision / 1000) at time zone 'UTC', 'YYYY-MM-DD')`,
    weekOfMs: (ms: Expression<unknown>) =>
      sql<string>`to_char(date_trunc('week', to_timestamp(${ms}::double precision / 1000) at time zone 'UTC'), 'YYYY-MM-DD')`,
    monthOfMs: (ms: Expression<unknown>) =>
      sql<string>`to_char(to_timestamp(${ms}::double precision / 1000) at time zone 'UTC', 'YYYY-MM')`,
    weekOfDay: (day: Expression<unknown>) =>
      sql<string>`to_char(date_trunc('week', cast(${day} as date)), 'YYYY-MM-DD')`,
    moneySum: (amount: Expression<unknown>, alias: string) => [
      sql`coalesce(sum(${amount}), 0)::text`.as(`${alias}_hi`),
      sql`0`.as(`${alias}_lo`),
    ],
    readMoneySum: (row, alias) => BigInt(String(row[`${alias}_hi`] ?? 0)),
    async close() {
      await db.destroy();
    },
  };
  return backend;
}
