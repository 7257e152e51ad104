import type { Kysely } from 'kysely';
import type { StoreBackend } from '../backend/store-backend.ts';
import { toBigint, toNumber } from '../db-values.ts';
import type { RequestStatus } from '../ledger-types.ts';
import type { DbInteger } from '../schema/column-types.ts';
import type { Database } from '../schema/database.ts';
import type { RollupDelta, RollupFacts } from './rollup-delta.ts';

/** The `requests` columns a rollup contribution needs (for RETURNING and selects). */
export const FACT_COLUMNS = [
  'id',
  'created_at',
  'module',
  'user_id',
  'key_id',
  'model_requested',
  'model',
  'provider',
  'status',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'cost',
  'estimated_cost',
  'upstream_inference_cost',
  'latency_ms',
] as const;

export interface FactsRow {
  id: string;
  created_at: DbInteger;
  module: string;
  user_id: string | null;
  key_id: string | null;
  model_requested: string;
  model: string | null;
  provider: string | null;
  status: string;
  prompt_tokens: DbInteger | null;
  completion_tokens: DbInteger | null;
  reasoning_tokens: DbInteger | null;
  cached_tokens: DbInteger | null;
  cache_write_tokens: DbInteger | null;
  cost: DbInteger | null;
  estimated_cost: DbInteger | null;
  upstream_inference_cost: DbInteger | null;
  latency_ms: DbInteger | null;
}

export function factsFromRow(row: FactsRow): RollupFacts {
  return {
    createdAt: toNumber(row.created_at) ?? 0,
    module: row.module,
    userId: row.user_id,
    keyId: row.key_id,
    modelRequested: row.model_requested,
    model: row.model,
    provider: row.provider,
    status: row.status as RequestStatus,
    promptTokens: toNumber(row.prompt_tokens),
    completionTokens: toNumber(row.completion_tokens),
    reasoningTokens: toNumber(row.reasoning_tokens),
    cachedTokens: toNumber(row.cached_tokens),
    cacheWriteTokens: toNumber(row.cache_write_tokens),
    cost: toBigint(row.cost),
    estimatedCost: toBigint(row.estimated_cost),
    upstreamInferenceCost: toBigint(row.upstream_inference_cost),
    latencyMs: toNumber(row.latency_ms),
  };
}

/** Adds the delta to `rollup_daily` (insert or increment), inside the caller's transaction. */
export async function applyRollupDelta(
  trx: Kysely<Database>,
  backend: StoreBackend,
  delta: RollupDelta,
): Promise<void> {
  const entries = delta.entries();
  if (entries.length > 0) await backend.bulk.upsertRollup(trx, entries);
}
