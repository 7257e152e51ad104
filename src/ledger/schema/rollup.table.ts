import type { Selectable } from 'kysely';
import type { BigColumn } from './column-types.ts';

/**
 * Daily rollup: day × module × user × model × provider × key, updated in the transaction that
 * completes (or re-costs) a request. Absent dimensions are stored as '' so the primary key holds.
 */
export interface RollupDailyTable {
  /** UTC day of `requests.created_at`, `YYYY-MM-DD`. */
  day: string;
  module: string;
  user_id: string;
  /** Served model, or the requested one when none was served. */
  model: string;
  provider: string;
  key_id: string;
  request_count: BigColumn;
  ok_count: BigColumn;
  error_count: BigColumn;
  filtered_count: BigColumn;
  cancelled_count: BigColumn;
  interrupted_count: BigColumn;
  prompt_tokens: BigColumn;
  completion_tokens: BigColumn;
  reasoning_tokens: BigColumn;
  cached_tokens: BigColumn;
  cache_write_tokens: BigColumn;
  /** Sum of known costs (picodollars). */
  cost_sum: BigColumn;
  unknown_cost_count: BigColumn;
  estimated_cost_sum: BigColumn;
  upstream_cost_sum: BigColumn;
  latency_sum_ms: BigColumn;
  latency_count: BigColumn;
}

export type RollupDailyRow = Selectable<RollupDailyTable>;

/**
 * Coarse daily rollup: the daily rollup without the user dimension (day × module × model ×
 * provider × key), updated in the same transactions from the same deltas. Reports and budgets
 * that do not involve users read it: it grows with days, not with users.
 */
export type RollupDailyCoarseTable = Omit<RollupDailyTable, 'user_id'>;
