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
} from './request-columns.ts';

/** Rows per statement: parameters are one array per column, so this bounds memory, not SQL size. */
const CHUNK = 2000;

function unnest(columns: ReadonlyArray<ColumnSpec<string>>): string {
  return `unnest(${columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})`;
}

function names(columns: ReadonlyArray<ColumnSpec<string>>, prefix = ''): string {
  return columns.map(([name]) => `${prefix}${q(name)}`).join(', ');
}

function arrays<T extends object>(columns: ReadonlyArray<ColumnSpec<string>>, rows: readonly T[]): unknown[] {
  return columns.map(([name]) => rows.map((row) => (row as Record<string, unknown>)[name] ?? null));
}

const INSERT_PENDING_SQL = `insert into requests (${names(PENDING_COLUMNS)})
select * from ${unnest(PENDING_COLUMNS)} on conflict do nothing returning id`;

/**
 * The import path sends each chunk as one JSON document (`jsonb_to_recordset`): a NULL is simply
 * an absent key, money goes as exact JSON digits, and building the text costs a fraction of
 * escaping one array literal per column.
 */
const INSERT_FINISHED_SQL = `insert into requests (${names(FINISHED_COLUMNS)})
select ${names(FINISHED_COLUMNS)} from jsonb_to_recordset($1::jsonb) as r(${FINISHED_COLUMNS.map(
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

const COMPLETE_SQL = `with v as (select * from ${unnest(COMPLETE_COLUMNS)} as v(${names(COMPLETE_COLUMNS)}))
update requests set ${COMPLETION_COLUMNS.map(([name]) =>
  KEEP_WHEN_NULL.has(name)
    ? `${q(name)} = coalesce(v.${q(name)}, requests.${q(name)})`
    : `${q(name)} = v.${q(name)}`,
).join(', ')}
from v where requests.id = v.id and requests.status = 'pending'
returning ${ATTRIBUTION_COLUMNS.map((name) => `requests.${q(name)}`).join(', ')}`;

const ROLLUP_SQL = `insert into rollup_daily (${names(ROLLUP_COLUMNS)})
select * from ${unnest(ROLLUP_COLUMNS)}
on conflict (${ROLLUP_DIMENSIONS.map(q).join(', ')}) do update set ${ROLLUP_COUNTERS.map(
  (name) => `${q(name)} = rollup_daily.${q(name)} + excluded.${q(name)}`,
).join(', ')}`;

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

/**
 * PostgreSQL: one statement per chunk over `unnest` of one array parameter per column: one round
 * trip for thousands of rows, and a constant statement text.
 */
export const postgresBulkStatements: BulkStatements = {
  async insertPending(trx, rows) {
    const ids = await inChunks(rows, async (chunk) => {
      const result = await trx.executeQuery<{ id: string }>(
        CompiledQuery.raw(INSERT_PENDING_SQL, arrays(PENDING_COLUMNS, chunk)),
      );
      return result.rows.map((row) => row.id);
    });
    return new Set(ids);
  },
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
  completePending: (trx, ops) =>
    inChunks(ops, async (chunk) => {
      const rows = chunk.map((op) => ({ id: op.id, ...op.values }));
      const result = await trx.executeQuery<CompletedAttribution>(
        CompiledQuery.raw(COMPLETE_SQL, arrays(COMPLETE_COLUMNS, rows)),
      );
      return result.rows;
    }),
  async upsertRollup(trx, entries) {
    await inChunks(entries, async (chunk) => {
      const values = chunk.map(rollupValues);
      await trx.executeQuery(
        CompiledQuery.raw(
          ROLLUP_SQL,
          ROLLUP_COLUMNS.map((_, index) => values.map((row) => row[index])),
        ),
      );
      return [];
    });
  },
};
