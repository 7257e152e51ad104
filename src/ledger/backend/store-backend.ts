import type { AliasedRawBuilder, Expression, Kysely, RawBuilder } from 'kysely';
import type { Database } from '../schema/database.ts';
import type { BulkStatements } from '../write/bulk-statements.ts';
import type { WriteOp } from '../write/write-ops.ts';

export type DialectName = 'sqlite' | 'postgres';

/** Column types a parameter is cast to on PostgreSQL (SQLite needs no casts). */
export type ParamType = 'text' | 'bigint' | 'integer' | 'smallint';

/**
 * What differs between SQLite and PostgreSQL, behind one interface: the queries themselves are
 * shared Kysely code, and this strategy supplies the transaction style, migrations, partitions,
 * date and money expressions, and which errors mean "the database is unreachable".
 */
export interface StoreBackend {
  readonly dialect: DialectName;
  readonly db: Kysely<Database>;
  /** Constant-SQL statements for imports and rollup increments (see bulk-statements.ts). */
  readonly bulk: BulkStatements;
  /**
   * Applies a group-commit batch in one transaction; per op, whether it changed anything. SQLite
   * answers synchronously (sqlite-write-batch.ts) unless another transaction holds its connection;
   * PostgreSQL asynchronously (postgres-write-batch.ts).
   */
  applyWriteBatch(ops: readonly WriteOp[]): boolean[] | Promise<boolean[]>;
  /** Commits are cheap and synchronous (SQLite without an fsync per commit): see `commitWhenIdle`. */
  readonly cheapCommits: boolean;
  /**
   * Where writes may be acknowledged from a journal before their commit (write/journal.ts): a
   * SQLite file with `synchronous=NORMAL`, whose commits survive no more than the journal does.
   * It answers, synchronously, whether a `requests` row has this id, and runs `barrier` before
   * every query and transaction (so they see journaled writes). Absent elsewhere.
   */
  readonly journaling?: {
    requestExists(id: string): boolean;
    setReadBarrier(barrier: () => void): void;
  };
  /**
   * Where journals of this database live (SQLite file: `<file>.journal/`), whether or not this
   * process journals: whoever opens the ledger replays those a dead process left. null elsewhere.
   */
  readonly journalDir: string | null;
  /** Import transactions run at once: 1 on SQLite (one connection), 2 on PostgreSQL. */
  readonly importConcurrency: number;
  /**
   * Runs `work` in one write transaction: BEGIN IMMEDIATE on SQLite's single connection (so a
   * read-then-write never deadlocks with another process), a pool client's transaction on PostgreSQL.
   * Inside, use only the given `trx`.
   */
  writeTransaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Applies pending migrations; idempotent; on PostgreSQL serialised by an advisory lock. */
  migrate(): Promise<void>;
  /** PostgreSQL: makes sure the monthly partitions holding these epoch-ms times exist. SQLite: no-op. */
  ensurePartitions(times: Iterable<number>): Promise<void>;
  /**
   * Removes `requests` rows created before `beforeMs`: whole monthly partitions are dropped on
   * PostgreSQL, what remains is deleted row by row. Rollups are kept.
   */
  dropRequestsBefore(beforeMs: number): Promise<{ partitionsDropped: string[]; rowsDeleted: number }>;
  /** PostgreSQL: names of `requests` partitions. SQLite: empty. */
  listPartitions(): Promise<string[]>;
  /** True for errors that mean "cannot reach/write the database now" (spool and retry), not bad data. */
  isUnavailableError(error: unknown): boolean;
  /** A bound parameter, cast where the dialect needs a type (PostgreSQL VALUES lists). */
  param(value: unknown, type: ParamType): RawBuilder<unknown>;
  /** `YYYY-MM-DD` / ISO-week Monday / `YYYY-MM` of an epoch-ms expression, in UTC. */
  dayOfMs(ms: Expression<unknown>): RawBuilder<string>;
  weekOfMs(ms: Expression<unknown>): RawBuilder<string>;
  monthOfMs(ms: Expression<unknown>): RawBuilder<string>;
  /** ISO-week Monday of a `YYYY-MM-DD` text expression. */
  weekOfDay(day: Expression<unknown>): RawBuilder<string>;
  /**
   * An exact sum of a money (picodollar) expression, as selections named `<alias>_hi`/`<alias>_lo`
   * that `readMoneySum` combines. SQLite's 64-bit SUM would overflow past $9.2M; splitting the high
   * and low bits keeps it exact; PostgreSQL sums BIGINT into NUMERIC and needs no split.
   */
  moneySum(amount: Expression<unknown>, alias: string): AliasedRawBuilder<unknown, string>[];
  readMoneySum(row: Record<string, unknown>, alias: string): bigint;
  close(): Promise<void>;
}
