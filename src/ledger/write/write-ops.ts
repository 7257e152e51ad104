/**
 * Writes as data: what the group-commit writer batches and what the spool stores. Values are
 * normalised and validated before they are queued (so a bad input fails its own caller, not a
 * batch), and every op is idempotent: a begin inserts only if the id is new, a completion applies
 * only to a row still pending (or interrupted), so a replayed op never counts twice.
 */

/** Column values of a new pending row. */
export interface PendingRowValues {
  id: string;
  instance_id: string;
  request_id: string | null;
  created_at: number;
  module: string;
  user_id: string | null;
  key_id: string | null;
  tags: string | null;
  model_requested: string;
  status: 'pending';
  streamed: number;
  estimated_cost: bigint | null;
}

/** Column values a completion sets. */
export interface CompletionValues {
  completed_at: number;
  status: string;
  generation_id: string | null;
  model: string | null;
  provider: string | null;
  finish_reason: string | null;
  native_finish_reason: string | null;
  http_status: number | null;
  error_code: string | null;
  error_message: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  cached_tokens: number | null;
  cache_write_tokens: number | null;
  token_check: string | null;
  cost: bigint | null;
  cost_source: string | null;
  cost_known: number;
  estimated_cost: bigint | null;
  upstream_inference_cost: bigint | null;
  is_byok: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  attempts: number;
  next_reconcile_at: number | null;
}

export interface BeginOp {
  kind: 'begin';
  row: PendingRowValues;
}

/** What a completion's rollup needs from its row: the attribution written when it was begun. */
export type BegunAttribution = Pick<
  PendingRowValues,
  'created_at' | 'module' | 'user_id' | 'key_id' | 'model_requested' | 'estimated_cost'
>;

export interface CompleteOp {
  kind: 'complete';
  id: string;
  values: CompletionValues;
  /**
   * The row's attribution when this process began it, so the completion need not read it back
   * (a read-back is about a third of SQLite's cost per completed row). Absent for rows begun
   * elsewhere or before a restart, and never spooled: a replay reads the row.
   */
  begun?: BegunAttribution;
}

export interface AttachGenerationOp {
  kind: 'attach';
  id: string;
  generationId: string;
}

export interface BodiesOp {
  kind: 'bodies';
  id: string;
  createdAt: number;
  request: string | null;
  response: string | null;
}

export type WriteOp = BeginOp | CompleteOp | AttachGenerationOp | BodiesOp;

export interface WriteOpResult {
  applied: boolean;
  spooled: boolean;
}

const BIGINT_TAG = '$bigint';

/**
 * One JSON line per op; bigints survive as `{"$bigint":"123"}`. A completion's `begun` stays out.
 * It runs for every journaled write, on the call's path: a begin's and a completion's columns (a
 * flat record, where the only bigints are) are tagged by hand, because a `JSON.stringify`
 * replacer, called for every key, cost about twice as much; other ops take the replacer.
 */
export function serializeOp(op: WriteOp): string {
  switch (op.kind) {
    case 'begin':
      return JSON.stringify({ kind: op.kind, row: withTaggedBigints(op.row) });
    case 'complete':
      return JSON.stringify({ kind: op.kind, id: op.id, values: withTaggedBigints(op.values) });
    default:
      return JSON.stringify(op, tagBigint);
  }
}

function tagBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { [BIGINT_TAG]: value.toString() } : value;
}

/** `record`, or a copy of it with each bigint value tagged (a flat record: nothing nested). */
function withTaggedBigints(record: object): object {
  let copy: Record<string, unknown> | undefined;
  const values = record as Record<string, unknown>;
  for (const key in values) {
    const value = values[key];
    if (typeof value !== 'bigint') continue;
    copy ??= { ...values };
    copy[key] = { [BIGINT_TAG]: value.toString() };
  }
  return copy ?? record;
}

export function parseOp(line: string): WriteOp {
  return JSON.parse(line, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && BIGINT_TAG in value) {
      const text = (value as Record<string, unknown>)[BIGINT_TAG];
      if (typeof text === 'string' && /^-?\d+$/.test(text)) return BigInt(text);
    }
    return value;
  }) as WriteOp;
}
