import type { SqliteDatabase } from 'kysely';
import { ROLLUP_COUNTERS, ROLLUP_DIMENSIONS } from '../rollup/rollup-delta.ts';
import {
  ATTRIBUTION_COLUMNS,
  type BulkStatements,
  type CompletedAttribution,
  quoteIdentifier as q,
} from './bulk-statements.ts';
import {
  COMPLETION_COLUMNS,
  type ColumnSpec,
  FINISHED_COLUMNS,
  PENDING_COLUMNS,
  ROLLUP_COLUMNS,
  rollupValues,
  sparseTable,
} from './request-columns.ts';

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

function names(columns: ReadonlyArray<ColumnSpec<string>>): string {
  return columns.map(([name]) => q(name)).join(', ');
}

/**
 * The non-NULL values of a row and a bit mask of their columns. On the hot path a NULL is left to
 * the column (a new pending row holds NULL, or its default, in every column not given) instead of
 * bound: binding costs about as much per parameter as the rest of the insert. One statement text
 * per mask, memoised; the few masks in use stay in the prepared-statement cache.
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

function masked(columns: ReadonlyArray<ColumnSpec<string>>, mask: number): string[] {
  return columns.filter((_, index) => (mask & (1 << index)) !== 0).map(([name]) => q(name));
}

function memoByMask(build: (mask: number) => string): (mask: number) => string {
  const texts = new Map<number, string>();
  return (mask) => {
    let text = texts.get(mask);
    if (text === undefined) {
      text = build(mask);
      texts.set(mask, text);
    }
    return text;
  };
}

const insertPendingSql = memoByMask((mask) => {
  const columns = masked(PENDING_COLUMNS, mask);
  return `insert into requests (${columns.join(', ')}) values (${placeholders(columns.length)}) on conflict do nothing`;
});

// Only pending rows are completed here, so a column left out keeps its NULL (or the generation id
// and estimate the row already has, which is what a NULL in the completion means).
const completeSql = memoByMask(
  (mask) =>
    `update requests set ${masked(COMPLETION_COLUMNS, mask)
      .map((name) => `${name} = ?`)
      .join(', ')} where id = ? and status = 'pending' returning ${ATTRIBUTION_COLUMNS.map(q).join(', ')}`,
);

/** Rows per INSERT on the import path; full chunks reuse one cached statement per column set. */
const FINISHED_CHUNK = 100;

function insertFinishedSql(columns: ReadonlyArray<ColumnSpec<string>>, rows: number): string {
  const row = `(${placeholders(columns.length)})`;
  return `insert into requests (${names(columns)}) values ${Array.from({ length: rows }, () => row).join(
    ', ',
  )} on conflict do nothing returning id`;
}

const ROLLUP_SQL = `insert into rollup_daily (${names(ROLLUP_COLUMNS)}) values (${placeholders(
  ROLLUP_COLUMNS.length,
)}) on conflict (${ROLLUP_DIMENSIONS.map(q).join(', ')}) do update set ${ROLLUP_COUNTERS.map(
  (name) => `${q(name)} = rollup_daily.${q(name)} + excluded.${q(name)}`,
).join(', ')}`;

/**
 * SQLite: one prepared statement per row, cached. Without network round trips, many tiny
 * statements cost less than one big statement SQLite must parse anew. They run straight on the
 * database (its only connection, inside the transaction `writeTransaction` opened through Kysely,
 * which holds the connection meanwhile): Kysely's per-query executor would double the cost here.
 */
export function createSqliteBulkStatements(database: SqliteDatabase): BulkStatements {
  return {
    async insertPending(_trx, rows) {
      const inserted = new Set<string>();
      for (const row of rows) {
        const { mask, values } = nonNullValues(PENDING_COLUMNS, row);
        if (Number(database.prepare(insertPendingSql(mask)).run(values).changes) > 0) inserted.add(row.id);
      }
      return inserted;
    },
    async insertFinished(_trx, rows) {
      const inserted = new Set<string>();
      const { columns, values } = sparseTable(FINISHED_COLUMNS, rows);
      const full = insertFinishedSql(columns, FINISHED_CHUNK);
      for (let start = 0; start < values.length; start += FINISHED_CHUNK) {
        const chunk = values.slice(start, start + FINISHED_CHUNK);
        const text = chunk.length === FINISHED_CHUNK ? full : insertFinishedSql(columns, chunk.length);
        for (const row of database.prepare(text).all(chunk.flat()) as Array<{ id: string }>)
          inserted.add(row.id);
        // better-sqlite3 is synchronous: let the event loop breathe during a long import.
        if (start % (FINISHED_CHUNK * 20) === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return inserted;
    },
    async completePending(_trx, ops) {
      const completed: CompletedAttribution[] = [];
      for (const op of ops) {
        const { mask, values } = nonNullValues(COMPLETION_COLUMNS, op.values);
        values.push(op.id);
        const [row] = database.prepare(completeSql(mask)).all(values) as CompletedAttribution[];
        if (row) completed.push(row);
      }
      return completed;
    },
    async upsertRollup(_trx, entries) {
      const statement = database.prepare(ROLLUP_SQL);
      for (const entry of entries) statement.run(rollupValues(entry));
    },
  };
}
