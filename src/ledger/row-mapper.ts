import { fromJson, toBigint, toFlag, toNumber, toNumberOr } from './db-values.ts';
import type { CostSource, LedgerRow, RequestStatus, TagValue, TokenCheckFlag } from './ledger-types.ts';
import type { RequestsRow } from './schema/requests.table.ts';

/** A `requests` row as the drivers return it → the ledger's `LedgerRow`. */
export function ledgerRowFromDb(row: RequestsRow): LedgerRow {
  const tags = fromJson(row.tags);
  const providerResponses = fromJson(row.provider_responses);
  return {
    id: row.id,
    instanceId: row.instance_id,
    requestId: row.request_id,
    generationId: row.generation_id,
    createdAt: toNumberOr(row.created_at, 0),
    completedAt: toNumber(row.completed_at),
    module: row.module,
    userId: row.user_id,
    keyId: row.key_id,
    tags:
      tags !== null && typeof tags === 'object' && !Array.isArray(tags)
        ? (tags as Record<string, TagValue>)
        : null,
    modelRequested: row.model_requested,
    model: row.model,
    provider: row.provider,
    status: row.status as RequestStatus,
    finishReason: row.finish_reason,
    nativeFinishReason: row.native_finish_reason,
    httpStatus: toNumber(row.http_status),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    promptTokens: toNumber(row.prompt_tokens),
    completionTokens: toNumber(row.completion_tokens),
    reasoningTokens: toNumber(row.reasoning_tokens),
    cachedTokens: toNumber(row.cached_tokens),
    cacheWriteTokens: toNumber(row.cache_write_tokens),
    tokenCheck: row.token_check ? (row.token_check.split(',') as TokenCheckFlag[]) : [],
    cost: toBigint(row.cost),
    costSource: row.cost_source as CostSource | null,
    costKnown: toFlag(row.cost_known) === true,
    estimatedCost: toBigint(row.estimated_cost),
    upstreamInferenceCost: toBigint(row.upstream_inference_cost),
    isByok: toFlag(row.is_byok),
    latencyMs: toNumber(row.latency_ms),
    ttftMs: toNumber(row.ttft_ms),
    streamed: toFlag(row.streamed) === true,
    attempts: toNumberOr(row.attempts, 0),
    upstreamLatencyMs: toNumber(row.upstream_latency_ms),
    generationTimeMs: toNumber(row.generation_time_ms),
    providerResponses: Array.isArray(providerResponses) ? providerResponses : null,
    reconciledAt: toNumber(row.reconciled_at),
    reconcileAttempts: toNumberOr(row.reconcile_attempts, 0),
    nextReconcileAt: toNumber(row.next_reconcile_at),
  };
}
