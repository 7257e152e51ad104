import { CompiledQuery } from 'kysely';
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
  KEEP_WHEN_NULL,
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

const INSERT_PENDING_SQL = `insert into requests (${names(PENDING_COLUMNS)}) values (${placeholders(
  PENDING_COLUMNS.length,
)}) on conflict do nothing`;

/** Rows per INSERT on the import path; full chunks reuse one cached statement per column set. */
const FINISHED_CHUNK = 100;

function insertFinishedSql(columns: ReadonlyArray<ColumnSpec<string>>, rows: number): string {
  const row = `(${placeholders(columns.length)})`;
  return `insert into requests (${names(columns)}) values ${Array.from({ length: rows }, () => row).join(
    ', ',
  )} on conflict do nothing returning id`;
}

const COMPLETE_SQL = `update requests set ${COMPLETION_COLUMNS.map(([name]) =>
  KEEP_WHEN_NULL.has(name) ? `${q(name)} = coalesce(?, ${q(name)})` : `${q(name)} = ?`,
).join(', ')} where id = ? and status = 'pending' returning ${ATTRIBUTION_COLUMNS.map(q).join(', ')}`;

const ROLLUP_SQL = `insert into rollup_daily (${names(ROLLUP_COLUMNS)}) values (${placeholders(
  ROLLUP_COLUMNS.length,
)}) on conflict (${ROLLUP_DIMENSIONS.map(q).join(', ')}) do update set ${ROLLUP_COUNTERS.map(
  (name) => `${q(name)} = rollup_daily.${q(name)} + excluded.${q(name)}`,
).join(', ')}`;

function parameters<T extends object>(columns: ReadonlyArray<ColumnSpec<string>>, row: T): unknown[] {
  const record = row as Record<string, unknown>;
  return columns.map(([name]) => record[name] ?? null);
}

/**
 * SQLite: one prepared statement per row, cached (see `caching-database.ts`). Without network
 * round trips, many tiny statements cost less than one statement SQLite must parse anew.
 */
export const sqliteBulkStatements: BulkStatements = {
  async insertPending(trx, rows) {
    const inserted = new Set<string>();
    for (const row of rows) {
      const result = await trx.executeQuery(
        CompiledQuery.raw(INSERT_PENDING_SQL, parameters(PENDING_COLUMNS, row)),
      );
      if ((result.numAffectedRows ?? 0n) > 0n) inserted.add(row.id);
    }
    return inserted;
  },
  async insertFinished(trx, rows) {
    const inserted = new Set<string>();
    const { columns, values } = sparseTable(FINISHED_COLUMNS, rows);
    const full = insertFinishedSql(columns, FINISHED_CHUNK);
    for (let start = 0; start < values.length; start += FINISHED_CHUNK) {
      const chunk = values.slice(start, start + FINISHED_CHUNK);
      const text = chunk.length === FINISHED_CHUNK ? full : insertFinishedSql(columns, chunk.length);
      const result = await trx.executeQuery<{ id: string }>(CompiledQuery.raw(text, chunk.flat()));
      for (const row of result.rows) inserted.add(row.id);
    }
    return inserted;
  },
  async completePending(trx, ops) {
    const completed: CompletedAttribution[] = [];
    for (const op of ops) {
      const values = parameters(COMPLETION_COLUMNS, op.values);
      values.push(op.id);
      const result = await trx.executeQuery<CompletedAttribution>(CompiledQuery.raw(COMPLETE_SQL, values));
      if (result.rows[0]) completed.push(result.rows[0]);
    }
    return completed;
  },
  async upsertRollup(trx, entries) {
    for (const entry of entries) await trx.executeQuery(CompiledQuery.raw(ROLLUP_SQL, rollupValues(entry)));
  },
};
