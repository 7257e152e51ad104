import type { SqliteDatabase } from 'kysely';
import { coarseEntries } from '../rollup/coarse-rollup.ts';
import { type BulkStatements, columnNames, placeholders } from './bulk-statements.ts';
import { type ColumnSpec, FINISHED_COLUMNS, sparseTable } from './request-columns.ts';
import type { SqliteWriteStatements } from './sqlite-statements.ts';

/** Rows per INSERT on the import path; full chunks reuse one cached statement per column set. */
const FINISHED_CHUNK = 100;

function insertFinishedSql(columns: ReadonlyArray<ColumnSpec<string>>, rows: number): string {
  const row = `(${placeholders(columns.length)})`;
  return `insert into requests (${columnNames(columns)}) values ${Array.from(
    { length: rows },
    () => row,
  ).join(', ')} on conflict do nothing returning id`;
}

/**
 * SQLite: without network round trips, many small cached prepared statements cost less than one
 * big statement SQLite must parse anew. They run straight on the database (its only connection,
 * inside the transaction `writeTransaction` opened, which holds the connection meanwhile):
 * Kysely's per-query executor would double the cost here. `database` caches prepared statements
 * by text (caching-database.ts).
 */
export function createSqliteBulkStatements(
  database: SqliteDatabase,
  statements: SqliteWriteStatements,
): BulkStatements {
  return {
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
    async upsertRollup(_trx, entries) {
      statements.upsertRollup(entries, coarseEntries(entries));
    },
  };
}
