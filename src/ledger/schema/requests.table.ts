import type { Selectable } from 'kysely';
import type {
  BigColumn,
  DefaultedIntColumn,
  JsonColumn,
  NullableBigColumn,
  NullableIntColumn,
  NullableText,
} from './column-types.ts';

/** One row per request tollgate sent upstream (failures included). Times are epoch milliseconds. */
export interface RequestsTable {
  id: string;
  /** The ledger instance (process) that wrote the pending row; used to find rows of dead processes. */
  instance_id: NullableText;
  /** A caller's correlation id (e.g. an incoming X-Request-Id), when it differs from `id`. */
  request_id: NullableText;
  generation_id: NullableText;
  created_at: BigColumn;
  completed_at: NullableBigColumn;
  module: string;
  user_id: NullableText;
  key_id: NullableText;
  tags: JsonColumn;
  model_requested: string;
  model: NullableText;
  provider: NullableText;
  status: string;
  finish_reason: NullableText;
  native_finish_reason: NullableText;
  http_status: NullableIntColumn;
  error_code: NullableText;
  error_message: NullableText;
  prompt_tokens: NullableIntColumn;
  completion_tokens: NullableIntColumn;
  reasoning_tokens: NullableIntColumn;
  cached_tokens: NullableIntColumn;
  cache_write_tokens: NullableIntColumn;
  /** Token counts that contradict each other, flagged rather than silently stored. */
  token_check: NullableText;
  cost: NullableBigColumn;
  cost_source: NullableText;
  /** 1 when `cost` is known (never a silent 0), else 0. */
  cost_known: DefaultedIntColumn;
  estimated_cost: NullableBigColumn;
  upstream_inference_cost: NullableBigColumn;
  is_byok: NullableIntColumn;
  latency_ms: NullableIntColumn;
  ttft_ms: NullableIntColumn;
  streamed: DefaultedIntColumn;
  attempts: DefaultedIntColumn;
  upstream_latency_ms: NullableIntColumn;
  generation_time_ms: NullableIntColumn;
  provider_responses: JsonColumn;
  reconciled_at: NullableBigColumn;
  reconcile_attempts: DefaultedIntColumn;
  next_reconcile_at: NullableBigColumn;
}

export type RequestsRow = Selectable<RequestsTable>;

/** Opt-in request/response bodies, kept apart so `requests` rows stay narrow; purged by age. */
export interface RequestBodiesTable {
  request_id: string;
  created_at: BigColumn;
  request_body: NullableText;
  response_body: NullableText;
}
