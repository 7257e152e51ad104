import type { Kysely } from 'kysely';
import { toBigint, toNumber } from '../db-values.ts';
import { ROLLUP_COUNTERS, type RollupEntry, type RollupFacts } from '../rollup/rollup-delta.ts';
import type { DbInteger } from '../schema/column-types.ts';
import type { Database } from '../schema/database.ts';
import type { ColumnSpec, FinishedRowValues } from './request-columns.ts';
import type { CompletionValues } from './write-ops.ts';

/**
 * Statements both write paths share, written once per dialect as constant SQL and run without
 * query building: the import path's finished rows, and rollup increments (from imports, sweeps,
 * re-costing, and PostgreSQL's group commit; SQLite's group commit runs its own prepared
 * statements, see sqlite-write-batch.ts).
 */
export interface BulkStatements {
  /** Inserts finished rows (the import path), skipping ids that already exist; returns the ids inserted. */
  insertFinished(trx: Kysely<Database>, rows: readonly FinishedRowValues[]): Promise<Set<string>>;
  /**
   * Adds each entry's counters to its cell in the daily rollup, then the same summed over users
   * to the coarse rollup (see rollup/coarse-rollup.ts): daily cells before coarse ones, each in
   * key order, so concurrent writers lock rows in one order.
   */
  upsertRollup(trx: Kysely<Database>, entries: readonly RollupEntry[]): Promise<void>;
}

/** What a completion did not carry: its row's attribution and kept estimate, for its rollup facts. */
export interface CompletedAttribution {
  id: string;
  created_at: DbInteger;
  module: string;
  user_id: string | null;
  key_id: string | null;
  model_requested: string;
  estimated_cost: DbInteger | null;
}

export const ATTRIBUTION_COLUMNS = [
  'id',
  'created_at',
  'module',
  'user_id',
  'key_id',
  'model_requested',
  'estimated_cost',
] as const;

/** A completed row's rollup facts: its attribution from the table, the rest from the completion. */
export function completedFacts(row: Omit<CompletedAttribution, 'id'>, values: CompletionValues): RollupFacts {
  return {
    createdAt: toNumber(row.created_at) ?? 0,
    module: row.module,
    userId: row.user_id,
    keyId: row.key_id,
    modelRequested: row.model_requested,
    model: values.model,
    provider: values.provider,
    status: values.status as RollupFacts['status'],
    promptTokens: values.prompt_tokens,
    completionTokens: values.completion_tokens,
    reasoningTokens: values.reasoning_tokens,
    cachedTokens: values.cached_tokens,
    cacheWriteTokens: values.cache_write_tokens,
    cost: values.cost,
    estimatedCost: toBigint(row.estimated_cost),
    upstreamInferenceCost: values.upstream_inference_cost,
    latencyMs: values.latency_ms,
  };
}

/** A finished row's rollup facts, straight from the values written. */
export function finishedFacts(row: FinishedRowValues): RollupFacts {
  return completedFacts(row, row);
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The quoted names of `columns`, comma-separated (each prefixed, e.g. with a table alias). */
export function columnNames(columns: ReadonlyArray<ColumnSpec<string>>, prefix = ''): string {
  return columns.map(([name]) => `${prefix}${quoteIdentifier(name)}`).join(', ');
}

/** `count` SQLite positional parameters: `?, ?, …`. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * The end of a rollup upsert, in both dialects: a cell that exists adds the new counters (all of
 * them unless `counters` names some) to its own.
 */
export function addToRollupCell(
  table: string,
  dimensions: readonly string[],
  counters: readonly string[] = ROLLUP_COUNTERS,
): string {
  return `on conflict (${dimensions.map(quoteIdentifier).join(', ')}) do update set ${counters
    .map(
      (name) =>
        `${quoteIdentifier(name)} = ${table}.${quoteIdentifier(name)} + excluded.${quoteIdentifier(name)}`,
    )
    .join(', ')}`;
}
