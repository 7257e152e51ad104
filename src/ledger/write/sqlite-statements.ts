import type BetterSqlite3 from 'better-sqlite3';
import { COARSE_ROLLUP_DIMENSIONS, type CoarseRollupEntry } from '../rollup/coarse-rollup.ts';
import {
  ROLLUP_COUNTERS,
  ROLLUP_DIMENSIONS,
  type RollupCounters,
  type RollupEntry,
} from '../rollup/rollup-delta.ts';
import { FACT_COLUMNS, type FactsRow } from '../rollup/rollup-store.ts';
import {
  ATTRIBUTION_COLUMNS,
  addToRollupCell,
  type CompletedAttribution,
  placeholders,
  quoteIdentifier as q,
} from './bulk-statements.ts';
import { COMPLETION_COLUMNS, type ColumnSpec, KEEP_WHEN_NULL, PENDING_COLUMNS } from './request-columns.ts';
import type { AttachGenerationOp, BodiesOp, CompleteOp, PendingRowValues } from './write-ops.ts';

/**
 * SQLite's write statements, prepared once and run straight on the database, synchronously:
 * better-sqlite3 is synchronous, so a whole transaction runs without a single await, and a
 * prepared statement costs a fraction of a query built and executed through Kysely.
 */
export interface SqliteWriteStatements {
  /** BEGIN IMMEDIATE: takes the write lock at once, so a read-then-write never deadlocks. */
  begin(): void;
  commit(): void;
  /** Rolls back the open transaction, if SQLite has not already done so. */
  rollback(): void;
  /** Inserts a pending row unless its id exists; true when inserted. */
  insertPending(row: PendingRowValues): boolean;
  /** Sets the generation id of a row that has none; true when set. */
  attachGenerationId(op: AttachGenerationOp): boolean;
  /** Completes a row still pending; returns its attribution, or undefined when it is not pending. */
  completePending(op: CompleteOp): CompletedAttribution | undefined;
  /** Completes an `interrupted` row; returns its rollup facts before and after, or undefined. */
  completeInterrupted(op: CompleteOp): { before: FactsRow; after: FactsRow } | undefined;
  /** Inserts or fills in a row's bodies (a NULL keeps what is stored). */
  upsertBodies(op: BodiesOp): void;
  /** Adds counters to their cells in the daily rollup and then in the coarse one. */
  upsertRollup(fine: readonly RollupEntry[], coarse: readonly CoarseRollupEntry[]): void;
}

function masked(columns: ReadonlyArray<ColumnSpec<string>>, mask: number): string[] {
  return columns.filter((_, index) => (mask & (1 << index)) !== 0).map(([name]) => q(name));
}

/**
 * The non-NULL values of a row and a bit mask of their columns. On the hot path a NULL is left to
 * the column (a new pending row holds NULL, or its default, in every column not given) instead of
 * bound: binding costs about as much per parameter as the rest of the insert. One statement per
 * mask; the few masks in use are prepared once each.
 */
function nonNullValues(
  columns: ReadonlyArray<ColumnSpec<string>>,
  row: object,
): { mask: number; values: unknown[] } {
  const record = row as Record<string, unknown>;
  const values: unknown[] = [];
  let mask = 0;
  for (let index = 0; index < columns.length; index++) {
    const value = record[(columns[index] as ColumnSpec<string>)[0]];
    if (value === null || value === undefined) continue;
    mask |= 1 << index;
    values.push(value);
  }
  return { mask, values };
}

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * Statements kept per statement shape (pending insert, completion, completion returning). A few
 * dozen column sets occur in practice, but the completion has 26 columns, so traffic could make
 * many more: past this many, the statement prepared longest ago is dropped (better-sqlite3
 * finalizes it when it is collected), and prepared again if its set comes back.
 */
export const MAX_STATEMENTS_PER_SHAPE = 64;

function statementPerMask(
  database: BetterSqlite3.Database,
  text: (mask: number) => string,
): (mask: number) => Statement {
  const prepared = new Map<number, Statement>();
  return (mask) => {
    let statement = prepared.get(mask);
    if (statement === undefined) {
      statement = database.prepare(text(mask));
      if (prepared.size >= MAX_STATEMENTS_PER_SHAPE) {
        // A Map iterates in insertion order: the first key is the oldest statement.
        prepared.delete(prepared.keys().next().value as number);
      }
      prepared.set(mask, statement);
    }
    return statement;
  };
}

const insertPendingSql = (mask: number) => {
  const columns = masked(PENDING_COLUMNS, mask);
  return `insert into requests (${columns.join(', ')}) values (${placeholders(columns.length)}) on conflict do nothing`;
};

// Only pending rows are completed here, so a column left out keeps its NULL (or the generation id
// and estimate the row already has, which is what a NULL in the completion means).
const completePendingSql = (mask: number) =>
  `update requests set ${masked(COMPLETION_COLUMNS, mask)
    .map((name) => `${name} = ?`)
    .join(', ')} where id = ? and status = 'pending'`;

// For a row whose attribution the completion does not carry. SQLite buffers RETURNING rows in a
// temporary table before handing them out, which costs as much as the update itself.
const completePendingReturningSql = (mask: number) =>
  `${completePendingSql(mask)} returning ${ATTRIBUTION_COLUMNS.map(q).join(', ')}`;

// An interrupted row was completed by the sweep: every column is set, NULLs included, except the
// generation id and estimate, which stay when the completion has none. Rare: one constant text.
const COMPLETE_INTERRUPTED_SQL = `update requests set ${COMPLETION_COLUMNS.map(([name]) =>
  KEEP_WHEN_NULL.has(name) ? `${q(name)} = coalesce(?, ${q(name)})` : `${q(name)} = ?`,
).join(', ')} where id = ? and status = 'interrupted' returning ${FACT_COLUMNS.map(q).join(', ')}`;

const INTERRUPTED_FACTS_SQL = `select ${FACT_COLUMNS.map(q).join(', ')} from requests where id = ? and status = 'interrupted'`;

const ATTACH_SQL = `update requests set generation_id = ? where id = ? and generation_id is null`;

const BODIES_SQL = `insert into request_bodies (request_id, created_at, request_body, response_body)
values (?, ?, ?, ?) on conflict (request_id) do update set
request_body = coalesce(excluded.request_body, request_bodies.request_body),
response_body = coalesce(excluded.response_body, request_bodies.response_body)`;

/**
 * A rollup upsert naming only the counters in `mask` (bit i: ROLLUP_COUNTERS[i]); a new cell takes
 * the column default, 0, for the others. A completion moves under half of the counters (an ok call
 * leaves the error, cancellation and reasoning counts alone), and each bound parameter and
 * `c = c + excluded.c` costs on every upsert: one per completed row in a batch of distinct users.
 */
const rollupUpsertSql = (table: string, dimensions: readonly string[]) => (mask: number) => {
  const counters = ROLLUP_COUNTERS.filter((_, index) => (mask & (1 << index)) !== 0);
  const columns = [...dimensions, ...counters];
  return `insert into ${table} (${columns.map(q).join(', ')}) values (${placeholders(columns.length)})
${addToRollupCell(table, dimensions, counters)}`;
};

type Counter = (typeof ROLLUP_COUNTERS)[number];

/** Every counter bound: what an upsert falls back to once MAX_ROLLUP_STATEMENTS are prepared. */
const EVERY_COUNTER = (1 << ROLLUP_COUNTERS.length) - 1;

/**
 * Statements kept per rollup table. Which counters move depends on the traffic (statuses, token
 * kinds, re-costing), so the sets are bounded: past this many, a new set binds every counter,
 * zeros included, as one shared statement.
 */
export const MAX_ROLLUP_STATEMENTS = 64;

/** Upserts into one rollup table, each statement prepared on first use (the table may not exist before). */
function rollupUpserter(
  database: BetterSqlite3.Database,
  table: string,
  dimensions: readonly string[],
): (key: object, counters: RollupCounters) => void {
  const text = rollupUpsertSql(table, dimensions);
  const prepared = new Map<number, Statement>();
  return (key, counters) => {
    let mask = 0;
    for (let index = 0; index < ROLLUP_COUNTERS.length; index++) {
      if (counters[ROLLUP_COUNTERS[index] as Counter] !== 0n) mask |= 1 << index;
    }
    let statement = prepared.get(mask);
    if (statement === undefined) {
      if (prepared.size >= MAX_ROLLUP_STATEMENTS) mask = EVERY_COUNTER;
      statement = prepared.get(mask) ?? database.prepare(text(mask));
      prepared.set(mask, statement);
    }
    const values: unknown[] = dimensions.map((name) => (key as Record<string, string>)[name]);
    for (let index = 0; index < ROLLUP_COUNTERS.length; index++) {
      if ((mask & (1 << index)) !== 0) values.push(counters[ROLLUP_COUNTERS[index] as Counter]);
    }
    statement.run(values);
  };
}

export function sqliteWriteStatements(database: BetterSqlite3.Database): SqliteWriteStatements {
  const begin = database.prepare('begin immediate');
  const commit = database.prepare('commit');
  const rollback = database.prepare('rollback');
  const insertPending = statementPerMask(database, insertPendingSql);
  const completePending = statementPerMask(database, completePendingSql);
  const completePendingReturning = statementPerMask(database, completePendingReturningSql);
  // Prepared on first use: the tables they name may not exist before the migrations have run.
  let rare:
    | {
        attach: Statement;
        interruptedFacts: Statement;
        completeInterrupted: Statement;
        bodies: Statement;
      }
    | undefined;
  const rareStatements = () => {
    rare ??= {
      attach: database.prepare(ATTACH_SQL),
      interruptedFacts: database.prepare(INTERRUPTED_FACTS_SQL),
      completeInterrupted: database.prepare(COMPLETE_INTERRUPTED_SQL),
      bodies: database.prepare(BODIES_SQL),
    };
    return rare;
  };
  const fineRollup = rollupUpserter(database, 'rollup_daily', ROLLUP_DIMENSIONS);
  const coarseRollup = rollupUpserter(database, 'rollup_daily_coarse', COARSE_ROLLUP_DIMENSIONS);

  return {
    begin: () => void begin.run(),
    commit: () => void commit.run(),
    rollback() {
      // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR…).
      if (database.inTransaction) rollback.run();
    },
    insertPending(row) {
      const { mask, values } = nonNullValues(PENDING_COLUMNS, row);
      return insertPending(mask).run(values).changes > 0;
    },
    attachGenerationId(op) {
      return rareStatements().attach.run(op.generationId, op.id).changes > 0;
    },
    completePending(op) {
      const { mask, values } = nonNullValues(COMPLETION_COLUMNS, op.values);
      values.push(op.id);
      const begun = op.begun;
      if (begun === undefined)
        return completePendingReturning(mask).get(values) as CompletedAttribution | undefined;
      if (completePending(mask).run(values).changes === 0) return undefined;
      // What RETURNING would have read: the begun attribution, and the estimate the completion
      // set, if any (a NULL there keeps the row's).
      return {
        id: op.id,
        created_at: begun.created_at,
        module: begun.module,
        user_id: begun.user_id,
        key_id: begun.key_id,
        model_requested: begun.model_requested,
        estimated_cost: op.values.estimated_cost ?? begun.estimated_cost,
      };
    },
    completeInterrupted(op) {
      const statements = rareStatements();
      const before = statements.interruptedFacts.get(op.id) as FactsRow | undefined;
      if (!before) return undefined;
      const values: unknown[] = COMPLETION_COLUMNS.map(([name]) => op.values[name]);
      values.push(op.id);
      const after = statements.completeInterrupted.get(values) as FactsRow | undefined;
      return after ? { before, after } : undefined;
    },
    upsertBodies(op) {
      rareStatements().bodies.run(op.id, op.createdAt, op.request, op.response);
    },
    upsertRollup(fine, coarse) {
      for (const entry of fine) fineRollup(entry.key, entry.counters);
      for (const entry of coarse) coarseRollup(entry.key, entry.counters);
    },
  };
}
