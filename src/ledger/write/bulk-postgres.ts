import { CompiledQuery, type Kysely } from 'kysely';
import { COARSE_ROLLUP_DIMENSIONS, coarseEntries } from '../rollup/coarse-rollup.ts';
import { ROLLUP_DIMENSIONS } from '../rollup/rollup-delta.ts';
import type { Database } from '../schema/database.ts';
import {
  ATTRIBUTION_COLUMNS,
  addToRollupCell,
  type BulkStatements,
  type CompletedAttribution,
  columnNames,
  quoteIdentifier as q,
} from './bulk-statements.ts';
import {
  COARSE_ROLLUP_COLUMNS,
  COMPLETION_COLUMNS,
  type ColumnSpec,
  coarseRollupValues,
  FINISHED_COLUMNS,
  KEEP_WHEN_NULL,
  PENDING_COLUMNS,
  ROLLUP_COLUMNS,
  rollupValues,
} from './request-columns.ts';
import type { CompleteOp, PendingRowValues } from './write-ops.ts';

/** Rows per statement: parameters are one array per column, so this bounds memory, not SQL size. */
const CHUNK = 2000;

function unnest(columns: ReadonlyArray<ColumnSpec<string>>): string {
  return `unnest(${columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})`;
}

function arrays<T extends object>(columns: ReadonlyArray<ColumnSpec<string>>, rows: readonly T[]): unknown[] {
  return columns.map(([name]) => rows.map((row) => (row as Record<string, unknown>)[name] ?? null));
}

const INSERT_PENDING_SQL = `insert into requests (${columnNames(PENDING_COLUMNS)})
select * from ${unnest(PENDING_COLUMNS)} on conflict do nothing returning id`;

/**
 * The import path sends each chunk as one JSON document (`jsonb_to_recordset`): a NULL is simply
 * an absent key, money goes as exact JSON digits, and building the text costs a fraction of
 * escaping one array literal per column.
 */
const INSERT_FINISHED_SQL = `insert into requests (${columnNames(FINISHED_COLUMNS)})
select ${columnNames(FINISHED_COLUMNS)} from jsonb_to_recordset($1::jsonb) as r(${FINISHED_COLUMNS.map(
  ([name, type]) => `${q(name)} ${type}`,
).join(', ')})
on conflict do nothing returning id`;

const IMPORT_CHUNK = 5000;

function recordsJson(rows: ReadonlyArray<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const row of rows) {
    let text = '';
    for (const [name, type] of FINISHED_COLUMNS) {
      const value = row[name];
      if (value === null || value === undefined) continue;
      // jsonb columns already hold JSON text; bigints and numbers are exact as bare digits.
      const encoded = type === 'jsonb' || typeof value !== 'string' ? String(value) : JSON.stringify(value);
      text += `${text === '' ? '{' : ','}"${name}":${encoded}`;
    }
    parts.push(`${text}}`);
  }
  return `[${parts.join(',')}]`;
}

const COMPLETE_COLUMNS: ReadonlyArray<ColumnSpec<string>> = [['id', 'text'], ...COMPLETION_COLUMNS];

const COMPLETE_SQL = `with v as (select * from ${unnest(COMPLETE_COLUMNS)} as v(${columnNames(COMPLETE_COLUMNS)}))
update requests set ${COMPLETION_COLUMNS.map(([name]) =>
  KEEP_WHEN_NULL.has(name)
    ? `${q(name)} = coalesce(v.${q(name)}, requests.${q(name)})`
    : `${q(name)} = v.${q(name)}`,
).join(', ')}
from v where requests.id = v.id and requests.status = 'pending'
returning ${ATTRIBUTION_COLUMNS.map((name) => `requests.${q(name)}`).join(', ')}`;

function rollupUpsert(
  table: string,
  columns: ReadonlyArray<ColumnSpec<string>>,
  dimensions: readonly string[],
  options: { firstParameter?: number; where?: string } = {},
): string {
  const first = options.firstParameter ?? 1;
  const sources = columns.map(([, type], index) => `$${first + index}::${type}[]`).join(', ');
  return `insert into ${table} (${columnNames(columns)})
select * from unnest(${sources})${options.where ? ` where ${options.where}` : ''}
${addToRollupCell(table, dimensions)}`;
}

const FINE_ROLLUP_SQL = rollupUpsert('rollup_daily', ROLLUP_COLUMNS, ROLLUP_DIMENSIONS);
const COARSE_ROLLUP_SQL = rollupUpsert(
  'rollup_daily_coarse',
  COARSE_ROLLUP_COLUMNS,
  COARSE_ROLLUP_DIMENSIONS,
);

/**
 * Both rollups in one round trip. The coarse insert reads a count of the daily upsert's rows, so
 * that upsert runs to completion first and every writer locks daily cells before coarse ones
 * (PostgreSQL leaves the order of sub-statements in WITH unspecified otherwise).
 */
const BOTH_ROLLUPS_SQL = `with fine as (${FINE_ROLLUP_SQL} returning 1)
${rollupUpsert('rollup_daily_coarse', COARSE_ROLLUP_COLUMNS, COARSE_ROLLUP_DIMENSIONS, {
  firstParameter: ROLLUP_COLUMNS.length + 1,
  where: '(select count(*) from fine) >= 0',
})}`;

function columnArrays(rows: readonly unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, index) => rows.map((row) => row[index]));
}

/**
 * The constant texts run on every group commit, with a name each: the store runs them as named
 * (prepared) statements, planned once per connection (see backend/prepared-pool.ts).
 */
export const PREPARED_STATEMENTS: ReadonlyMap<string, string> = new Map([
  [INSERT_PENDING_SQL, 'tollgate_insert_pending'],
  [COMPLETE_SQL, 'tollgate_complete_pending'],
  [FINE_ROLLUP_SQL, 'tollgate_rollup_daily'],
  [COARSE_ROLLUP_SQL, 'tollgate_rollup_daily_coarse'],
  [BOTH_ROLLUPS_SQL, 'tollgate_rollups'],
]);

async function inChunks<T, R>(
  items: readonly T[],
  run: (chunk: readonly T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    results.push(...(await run(items.slice(start, start + CHUNK))));
  }
  return results;
}

/** PostgreSQL's group-commit statements (see postgres-write-batch.ts). */
export const postgresHotPath = {
  /** Inserts pending rows, skipping ids that already exist; returns the ids inserted. */
  async insertPending(trx: Kysely<Database>, rows: readonly PendingRowValues[]): Promise<Set<string>> {
    const ids = await inChunks(rows, async (chunk) => {
      const result = await trx.executeQuery<{ id: string }>(
        CompiledQuery.raw(INSERT_PENDING_SQL, arrays(PENDING_COLUMNS, chunk)),
      );
      return result.rows.map((row) => row.id);
    });
    return new Set(ids);
  },
  /**
   * Completes the rows still pending; returns, for each row completed, what the completion did not
   * carry (its attribution and the kept estimate), so the caller can compute its rollup facts.
   */
  completePending: (trx: Kysely<Database>, ops: readonly CompleteOp[]): Promise<CompletedAttribution[]> =>
    inChunks(ops, async (chunk) => {
      const rows = chunk.map((op) => ({ id: op.id, ...op.values }));
      const result = await trx.executeQuery<CompletedAttribution>(
        CompiledQuery.raw(COMPLETE_SQL, arrays(COMPLETE_COLUMNS, rows)),
      );
      return result.rows;
    }),
};

/**
 * PostgreSQL: one statement per chunk over `unnest` of one array parameter per column: one round
 * trip for thousands of rows, and a constant statement text.
 */
export const postgresBulkStatements: BulkStatements = {
  async insertFinished(trx, rows) {
    const inserted = new Set<string>();
    const records = rows as unknown as ReadonlyArray<Record<string, unknown>>;
    // While the server inserts one chunk, the next one is serialised.
    let payload = recordsJson(records.slice(0, IMPORT_CHUNK));
    for (let start = 0; start < records.length; start += IMPORT_CHUNK) {
      const running = trx.executeQuery<{ id: string }>(CompiledQuery.raw(INSERT_FINISHED_SQL, [payload]));
      const next = start + IMPORT_CHUNK;
      payload = next < records.length ? recordsJson(records.slice(next, next + IMPORT_CHUNK)) : '';
      for (const row of (await running).rows) inserted.add(row.id);
    }
    return inserted;
  },
  async upsertRollup(trx, entries) {
    const fine = entries.map(rollupValues);
    const coarse = coarseEntries(entries).map(coarseRollupValues);
    const run = (text: string, parameters: unknown[]) =>
      trx.executeQuery(CompiledQuery.raw(text, parameters));
    if (fine.length <= CHUNK && coarse.length <= CHUNK) {
      await run(BOTH_ROLLUPS_SQL, [
        ...columnArrays(fine, ROLLUP_COLUMNS.length),
        ...columnArrays(coarse, COARSE_ROLLUP_COLUMNS.length),
      ]);
      return;
    }
    for (let start = 0; start < fine.length; start += CHUNK) {
      await run(FINE_ROLLUP_SQL, columnArrays(fine.slice(start, start + CHUNK), ROLLUP_COLUMNS.length));
    }
    for (let start = 0; start < coarse.length; start += CHUNK) {
      await run(
        COARSE_ROLLUP_SQL,
        columnArrays(coarse.slice(start, start + CHUNK), COARSE_ROLLUP_COLUMNS.length),
      );
    }
  },
};
