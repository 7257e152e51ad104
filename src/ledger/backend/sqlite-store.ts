import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Driver, type Expression, Kysely, SqliteDialect, type SqliteDialectConfig, sql } from 'kysely';
import type { LedgerLogger } from '../ledger-types.ts';
import type { Database } from '../schema/database.ts';
import { createSqliteBulkStatements } from '../write/bulk-sqlite.ts';
import { sqliteWriteStatements } from '../write/sqlite-statements.ts';
import { applySqliteBatch } from '../write/sqlite-write-batch.ts';
import type { WriteOp } from '../write/write-ops.ts';
import { cachingDatabase } from './caching-database.ts';
import { runMigrations } from './run-migrations.ts';
import { sqliteCheckpointer } from './sqlite-checkpointer.ts';
import type { StoreBackend } from './store-backend.ts';
import { isSqliteUnavailable } from './unavailable-errors.ts';

export interface SqliteStoreOptions {
  /** File path or `:memory:`. */
  path: string;
  /**
   * `full` (default) fsyncs the WAL at every commit, so a resolved write survives power loss;
   * `normal` survives a process crash only. Group commit makes `full` affordable.
   */
  synchronous?: 'full' | 'normal';
  busyTimeoutMs?: number;
  /**
   * Create the file (and its folder) when missing (default true). false: a missing file is an
   * error, so a mistyped path never leaves a new empty ledger (or folders) behind.
   */
  create?: boolean;
  logger: LedgerLogger;
}

/**
 * Kysely's SQLite dialect with a hook before each connection is taken (every query and
 * transaction takes it): the ledger commits journaled writes there, so what it reads is current.
 */
class BarrierSqliteDialect extends SqliteDialect {
  readonly #beforeAcquire: () => void;

  constructor(config: SqliteDialectConfig, beforeAcquire: () => void) {
    super(config);
    this.#beforeAcquire = beforeAcquire;
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const beforeAcquire = this.#beforeAcquire;
    // Delegation, not a prototype: the driver keeps its state in private fields.
    return {
      init: (options) => driver.init(options),
      acquireConnection: (options) => {
        beforeAcquire();
        return driver.acquireConnection(options);
      },
      beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
      commitTransaction: (connection) => driver.commitTransaction(connection),
      rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
      savepoint: driver.savepoint?.bind(driver),
      rollbackToSavepoint: driver.rollbackToSavepoint?.bind(driver),
      releaseSavepoint: driver.releaseSavepoint?.bind(driver),
      releaseConnection: (connection, options) => driver.releaseConnection(connection, options),
      destroy: (options) => driver.destroy(options),
    };
  }
}

/** SQLite through better-sqlite3: one connection, WAL, safe (bigint) integers. */
export function createSqliteStore(options: SqliteStoreOptions): StoreBackend {
  const memory = options.path === ':memory:' || options.path === '';
  const create = options.create !== false;
  if (!memory && create) mkdirSync(dirname(options.path), { recursive: true });
  const database = new BetterSqlite3(memory ? ':memory:' : options.path, { fileMustExist: !create });
  database.defaultSafeIntegers(true);
  const synchronous = options.synchronous === 'normal' ? 'NORMAL' : 'FULL';
  try {
    // The first statement is where a file that is not a database (or is locked) fails.
    if (!memory) database.pragma('journal_mode = WAL');
    database.pragma(`synchronous = ${synchronous}`);
    database.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    database.pragma('cache_size = -65536');
    database.pragma('temp_store = MEMORY');
    database.pragma('journal_size_limit = 67108864');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }

  const checkpointer = memory
    ? undefined
    : sqliteCheckpointer({ database, path: options.path, synchronous, logger: options.logger });

  const cached = cachingDatabase(database);
  let readBarrier = () => {};
  let requestExistsStatement: BetterSqlite3.Statement | undefined;
  const db = new Kysely<Database>({
    dialect: new BarrierSqliteDialect({ database: cached }, () => readBarrier()),
  });
  const statements = sqliteWriteStatements(database);
  const split = 2n ** 20n;

  /**
   * Runs `work` in a transaction holding Kysely's connection (so Kysely queues other queries, and
   * other transactions, behind it); BEGIN and COMMIT run as prepared statements.
   */
  async function inTransaction<T>(work: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
    return await db.connection().execute(async (connection) => {
      statements.begin();
      try {
        const result = await work(connection);
        statements.commit();
        checkpointer?.noteWrite();
        return result;
      } catch (error) {
        statements.rollback();
        throw error;
      }
    });
  }

  function applyNow(ops: readonly WriteOp[]): boolean[] {
    const applied = applySqliteBatch(statements, ops);
    checkpointer?.noteWrite();
    return applied;
  }

  return {
    dialect: 'sqlite',
    db,
    bulk: createSqliteBulkStatements(cached, statements),
    importConcurrency: 1,
    applyWriteBatch(ops) {
      // A transaction opened through Kysely (an import, a budget reservation…) is open between its
      // awaits: wait for the connection, and so for that transaction to end. Otherwise nothing
      // else can run while this synchronous one does.
      if (database.inTransaction) return db.connection().execute(async () => applyNow(ops));
      return applyNow(ops);
    },
    cheapCommits: memory || options.synchronous === 'normal',
    journalDir: memory ? null : `${options.path}.journal`,
    journaling:
      memory || options.synchronous !== 'normal'
        ? undefined
        : {
            requestExists(id) {
              // Prepared on first use: the table does not exist before the migrations have run.
              requestExistsStatement ??= database.prepare('select 1 from requests where id = ?').pluck();
              return requestExistsStatement.get(id) !== undefined;
            },
            setReadBarrier(barrier) {
              readBarrier = barrier;
            },
          },
    writeTransaction: inTransaction,
    // All pending migrations in one BEGIN IMMEDIATE transaction: a second process opening the same
    // file waits (busy_timeout) and then finds them applied.
    async migrate() {
      await inTransaction((connection) => runMigrations(connection, 'sqlite', { disableTransactions: true }));
    },
    async ensurePartitions() {},
    async dropRequestsBefore(beforeMs) {
      const result = await db.deleteFrom('requests').where('created_at', '<', beforeMs).executeTakeFirst();
      return { partitionsDropped: [], rowsDeleted: Number(result.numDeletedRows) };
    },
    async listPartitions() {
      return [];
    },
    isUnavailableError: isSqliteUnavailable,
    param: (value) => sql`${value}`,
    dayOfMs: (ms: Expression<unknown>) => sql<string>`strftime('%Y-%m-%d', ${ms} / 1000, 'unixepoch')`,
    weekOfMs: (ms: Expression<unknown>) =>
      sql<string>`date(${ms} / 1000, 'unixepoch', 'weekday 0', '-6 days')`,
    monthOfMs: (ms: Expression<unknown>) => sql<string>`strftime('%Y-%m', ${ms} / 1000, 'unixepoch')`,
    weekOfDay: (day: Expression<unknown>) => sql<string>`date(${day}, 'weekday 0', '-6 days')`,
    moneySum: (amount: Expression<unknown>, alias: string) => [
      sql`coalesce(sum(${amount} >> 20), 0)`.as(`${alias}_hi`),
      sql`coalesce(sum(${amount} & 1048575), 0)`.as(`${alias}_lo`),
    ],
    readMoneySum(row, alias) {
      return BigInt(String(row[`${alias}_hi`] ?? 0)) * split + BigInt(String(row[`${alias}_lo`] ?? 0));
    },
    async close() {
      // The checkpoint thread first: the last connection to close checkpoints and removes the WAL.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
