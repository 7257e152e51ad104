import type { ParamType } from '../backend/store-backend.ts';
import { COARSE_ROLLUP_DIMENSIONS, type CoarseRollupEntry } from '../rollup/coarse-rollup.ts';
import type { RollupEntry } from '../rollup/rollup-delta.ts';
import { ROLLUP_COUNTERS, ROLLUP_DIMENSIONS } from '../rollup/rollup-delta.ts';
import type { CompletionValues, PendingRowValues } from './write-ops.ts';

/** A column of a hot-path statement with its PostgreSQL array element type. */
export type ColumnSpec<Name extends string> = readonly [Name, ParamType | 'jsonb'];

export const PENDING_COLUMNS: ReadonlyArray<ColumnSpec<keyof PendingRowValues>> = [
  ['id', 'text'],
  ['instance_id', 'text'],
  ['request_id', 'text'],
  ['created_at', 'bigint'],
  ['module', 'text'],
  ['user_id', 'text'],
  ['key_id', 'text'],
  ['tags', 'jsonb'],
  ['model_requested', 'text'],
  ['status', 'text'],
  ['streamed', 'smallint'],
  ['estimated_cost', 'bigint'],
];

export const COMPLETION_COLUMNS: ReadonlyArray<ColumnSpec<keyof CompletionValues>> = [
  ['completed_at', 'bigint'],
  ['status', 'text'],
  ['generation_id', 'text'],
  ['model', 'text'],
  ['provider', 'text'],
  ['finish_reason', 'text'],
  ['native_finish_reason', 'text'],
  ['http_status', 'integer'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['reasoning_tokens', 'integer'],
  ['cached_tokens', 'integer'],
  ['cache_write_tokens', 'integer'],
  ['token_check', 'text'],
  ['cost', 'bigint'],
  ['cost_source', 'text'],
  ['cost_known', 'smallint'],
  ['estimated_cost', 'bigint'],
  ['upstream_inference_cost', 'bigint'],
  ['is_byok', 'smallint'],
  ['latency_ms', 'integer'],
  ['ttft_ms', 'integer'],
  ['attempts', 'integer'],
  ['next_reconcile_at', 'bigint'],
];

/** Completion columns that keep the row's value when the completion has none. */
export const KEEP_WHEN_NULL: ReadonlySet<string> = new Set(['estimated_cost', 'generation_id']);

/** Every column a finished imported row carries. */
export type FinishedRowValues = Omit<PendingRowValues, 'status'> & CompletionValues;

export const FINISHED_COLUMNS: ReadonlyArray<ColumnSpec<keyof FinishedRowValues>> = [
  ...PENDING_COLUMNS.filter(([name]) => name !== 'status' && name !== 'estimated_cost'),
  ...COMPLETION_COLUMNS,
] as ReadonlyArray<ColumnSpec<keyof FinishedRowValues>>;

export const ROLLUP_COLUMNS: ReadonlyArray<ColumnSpec<string>> = [
  ...ROLLUP_DIMENSIONS.map((name) => [name, 'text'] as const),
  ...ROLLUP_COUNTERS.map((name) => [name, 'bigint'] as const),
];

export const COARSE_ROLLUP_COLUMNS: ReadonlyArray<ColumnSpec<string>> = [
  ...COARSE_ROLLUP_DIMENSIONS.map((name) => [name, 'text'] as const),
  ...ROLLUP_COUNTERS.map((name) => [name, 'bigint'] as const),
];

/**
 * Rows as value tables over the columns that hold a value in at least one row: imports are sparse,
 * and binding a NULL parameter costs about as much as binding a value.
 */
export function sparseTable<Name extends string>(
  columns: ReadonlyArray<ColumnSpec<Name>>,
  rows: readonly object[],
): { columns: ReadonlyArray<ColumnSpec<Name>>; values: unknown[][] } {
  const full = rows.map((row) => columns.map(([name]) => (row as Record<string, unknown>)[name] ?? null));
  const used = columns
    .map((_, index) => index)
    .filter((index) => full.some((values) => values[index] !== null));
  return {
    columns: used.map((index) => columns[index] as ColumnSpec<Name>),
    values: full.map((values) => used.map((index) => values[index])),
  };
}

export function rollupValues(entry: RollupEntry): unknown[] {
  return [
    ...ROLLUP_DIMENSIONS.map((name) => entry.key[name]),
    ...ROLLUP_COUNTERS.map((name) => entry.counters[name]),
  ];
}

export function coarseRollupValues(entry: CoarseRollupEntry): unknown[] {
  return [
    ...COARSE_ROLLUP_DIMENSIONS.map((name) => entry.key[name]),
    ...ROLLUP_COUNTERS.map((name) => entry.counters[name]),
  ];
}
