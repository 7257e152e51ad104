import type { Kysely } from 'kysely';
import { toBigint, toNumber } from '../db-values.ts';
import type { RollupEntry, RollupFacts } from '../rollup/rollup-delta.ts';
import type { DbInteger } from '../schema/column-types.ts';
import type { Database } from '../schema/database.ts';
import type { FinishedRowValues } from './request-columns.ts';
import type { CompleteOp, CompletionValues, PendingRowValues } from './write-ops.ts';

/**
 * The hot-path statements, written once per dialect as constant SQL and run without query
 * building: SQLite runs one cached prepared statement per row (no round trips, so many tiny
 * statements are cheapest); PostgreSQL runs one statement per chunk over `unnest` of array
 * parameters (one round trip for hundreds of rows, and a constant text to parse).
 */
export interface BulkStatements {
  /** Inserts pending rows, skipping ids that already exist; returns the ids inserted. */
  insertPending(trx: Kysely<Database>, rows: readonly PendingRowValues[]): Promise<Set<string>>;
  /** Inserts finished rows (the import path), skipping ids that already exist; returns the ids inserted. */
  insertFinished(trx: Kysely<Database>, rows: readonly FinishedRowValues[]): Promise<Set<string>>;
  /**
   * Completes the rows still pending; returns, for each row completed, what the completion did not
   * carry (its attribution and the kept estimate), so the caller can compute its rollup facts.
   */
  completePending(trx: Kysely<Database>, ops: readonly CompleteOp[]): Promise<CompletedAttribution[]>;
  /** Adds each entry's counters to its rollup cell. */
  upsertRollup(trx: Kysely<Database>, entries: readonly RollupEntry[]): Promise<void>;
}

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
