import { escapeControlCharacters, hasControlCharacters } from '../../shared/control-characters.ts';
import { MAX_STORED_MONEY, type Money, moneyToUsdString } from '../../shared/money.ts';
import { invalidInput } from '../ledger-errors.ts';
import {
  type BeginRequest,
  COST_SOURCES,
  type CostSource,
  REQUEST_STATUSES,
  type RequestOutcome,
  type TokenCheckFlag,
  type TokenUsage,
} from '../ledger-types.ts';
import type { CompletionValues, PendingRowValues } from './write-ops.ts';

const MAX_TEXT = 500;
const MAX_ERROR_MESSAGE = 2000;
const MAX_TAGS_JSON = 4096;
const MAX_TIME = Date.UTC(9999, 11, 31);

function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidInput(`${field} must be a non-empty string`);
  if (value.length > MAX_TEXT) throw invalidInput(`${field} is longer than ${MAX_TEXT} characters`);
  return value;
}

/**
 * Attribution (module, user id) is grouped on, filtered by and shown in every report and on
 * terminals: a control character in it would break a table row or drive the terminal showing it.
 * The gateway refuses such ids at its door; this makes every other writer (the library, imports)
 * refuse them too, before anything is sent or stored.
 */
export function withoutControlCharacters<T extends string | null>(value: T, field: string): T {
  if (value !== null && hasControlCharacters(value)) {
    throw invalidInput(
      `${field} must not contain control characters (newlines, tabs, terminal escapes); got "${escapeControlCharacters(value.slice(0, 60))}"`,
    );
  }
  return value;
}

/** Optional text: '' and undefined become null (the rollup uses '' for "none"). */
export function optionalText(value: unknown, field: string, max = MAX_TEXT): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw invalidInput(`${field} must be a string`);
  return value.length > max ? value.slice(0, max) : value;
}

export function checkTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TIME) {
    throw invalidInput(`${field} must be epoch milliseconds`);
  }
  return value;
}

export function optionalMoney(value: unknown, field: string): Money | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'bigint')
    throw invalidInput(`${field} must be Money (a bigint of picodollars) or null`);
  if (value > MAX_STORED_MONEY || value < -MAX_STORED_MONEY)
    throw invalidInput(
      `${field} is beyond what the ledger stores: at most $${moneyToUsdString(MAX_STORED_MONEY)} either way`,
    );
  return value;
}

function optionalCount(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  return Math.min(Math.round(value), 2_147_483_647);
}

function tagsJson(tags: BeginRequest['tags']): string | null {
  if (tags === null || tags === undefined) return null;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw invalidInput('tags must be an object');
  for (const value of Object.values(tags)) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw invalidInput('tag values must be strings, numbers, booleans or null');
    }
  }
  const json = JSON.stringify(tags);
  if (json.length > MAX_TAGS_JSON) throw invalidInput(`tags are larger than ${MAX_TAGS_JSON} bytes of JSON`);
  return json === '{}' ? null : json;
}

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The millisecond timestamp inside a UUIDv7, or undefined when `id` is not one. */
export function uuidv7Millis(id: string): number | undefined {
  if (!UUIDV7.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * A row's id and creation time. The id is a UUIDv7 and `created_at` is always its timestamp, so
 * the PostgreSQL key (id, created_at), needed by the monthly partitions, is unique whenever the id
 * is: a caller may pass either (or both, if they agree).
 */
export function rowIdentity(
  request: { id?: string; createdAt?: number },
  now: () => number,
  newId: (ms: number) => string,
): { id: string; createdAt: number } {
  if (request.id === undefined) {
    const createdAt = checkTime(request.createdAt ?? now(), 'createdAt');
    return { id: newId(createdAt), createdAt };
  }
  const createdAt = typeof request.id === 'string' ? uuidv7Millis(request.id) : undefined;
  if (createdAt === undefined)
    throw invalidInput("id must be a UUIDv7 (its timestamp is the row's created_at)");
  if (request.createdAt !== undefined && request.createdAt !== createdAt) {
    throw invalidInput('createdAt must equal the timestamp inside the UUIDv7 id');
  }
  return { id: request.id.toLowerCase(), createdAt };
}

export function pendingRowValues(
  request: BeginRequest,
  context: { id: string; createdAt: number; instanceId: string },
): PendingRowValues {
  return {
    id: requiredText(context.id, 'id'),
    instance_id: context.instanceId,
    request_id: optionalText(request.requestId, 'requestId'),
    created_at: checkTime(context.createdAt, 'createdAt'),
    module: withoutControlCharacters(requiredText(request.module, 'module'), 'module'),
    user_id: withoutControlCharacters(optionalText(request.userId, 'userId'), 'userId'),
    key_id: optionalText(request.keyId, 'keyId'),
    tags: tagsJson(request.tags),
    model_requested: requiredText(request.modelRequested, 'modelRequested'),
    status: 'pending',
    streamed: request.streamed ? 1 : 0,
    estimated_cost: optionalMoney(request.estimatedCost, 'estimatedCost'),
  };
}

/** Flags counts that contradict each other (kept as reported, but never silently). */
export function checkTokens(usage: TokenUsage | null | undefined): {
  counts: Record<'prompt' | 'completion' | 'reasoning' | 'cached' | 'cacheWrite', number | null>;
  flags: TokenCheckFlag[];
} {
  const raw = {
    prompt: usage?.promptTokens,
    completion: usage?.completionTokens,
    reasoning: usage?.reasoningTokens,
    cached: usage?.cachedTokens,
    cacheWrite: usage?.cacheWriteTokens,
  };
  const flags: TokenCheckFlag[] = [];
  const counts = {
    prompt: optionalCount(raw.prompt),
    completion: optionalCount(raw.completion),
    reasoning: optionalCount(raw.reasoning),
    cached: optionalCount(raw.cached),
    cacheWrite: optionalCount(raw.cacheWrite),
  };
  for (const name of Object.keys(raw) as (keyof typeof raw)[]) {
    if (raw[name] !== null && raw[name] !== undefined && counts[name] === null) flags.push('invalid_count');
  }
  if (counts.cached !== null && counts.prompt !== null && counts.cached > counts.prompt) {
    flags.push('cached_exceeds_prompt');
  }
  if (counts.cacheWrite !== null && counts.prompt !== null && counts.cacheWrite > counts.prompt) {
    flags.push('cache_write_exceeds_prompt');
  }
  if (counts.reasoning !== null && counts.completion !== null && counts.reasoning > counts.completion) {
    flags.push('reasoning_exceeds_completion');
  }
  return { counts, flags: [...new Set(flags)] };
}

function optionalInteger(value: unknown, min: number, max: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const rounded = Math.round(value);
  return rounded < min || rounded > max ? null : rounded;
}

export function completionValues(
  outcome: RequestOutcome,
  context: { completedAt: number; reconcileAfterMs: number | null },
): { values: CompletionValues; flags: TokenCheckFlag[] } {
  if (!REQUEST_STATUSES.includes(outcome.status) || (outcome.status as string) === 'pending') {
    throw invalidInput(`status must be one of ${REQUEST_STATUSES.filter((s) => s !== 'pending').join(', ')}`);
  }
  const cost = optionalMoney(outcome.cost, 'cost');
  let costSource: CostSource | null = null;
  if (cost !== null) {
    if (!outcome.costSource || !COST_SOURCES.includes(outcome.costSource)) {
      throw invalidInput(`costSource (${COST_SOURCES.join(' | ')}) is required when cost is known`);
    }
    costSource = outcome.costSource;
  }
  const completedAt = checkTime(context.completedAt, 'completedAt');
  const generationId = optionalText(outcome.generationId, 'generationId');
  const { counts, flags } = checkTokens(outcome.usage);
  const values: CompletionValues = {
    completed_at: completedAt,
    status: outcome.status,
    generation_id: generationId,
    model: optionalText(outcome.model, 'model'),
    provider: optionalText(outcome.provider, 'provider'),
    finish_reason: optionalText(outcome.finishReason, 'finishReason'),
    native_finish_reason: optionalText(outcome.nativeFinishReason, 'nativeFinishReason'),
    http_status: optionalInteger(outcome.httpStatus, 100, 599),
    error_code: optionalText(outcome.errorCode, 'errorCode'),
    error_message: optionalText(outcome.errorMessage, 'errorMessage', MAX_ERROR_MESSAGE),
    prompt_tokens: counts.prompt,
    completion_tokens: counts.completion,
    reasoning_tokens: counts.reasoning,
    cached_tokens: counts.cached,
    cache_write_tokens: counts.cacheWrite,
    token_check: flags.length > 0 ? flags.join(',') : null,
    cost,
    cost_source: costSource,
    cost_known: cost === null ? 0 : 1,
    estimated_cost: optionalMoney(outcome.estimatedCost, 'estimatedCost'),
    upstream_inference_cost: optionalMoney(outcome.upstreamInferenceCost, 'upstreamInferenceCost'),
    is_byok: outcome.isByok === undefined || outcome.isByok === null ? null : outcome.isByok ? 1 : 0,
    latency_ms: optionalInteger(outcome.latencyMs, 0, 2_147_483_647),
    ttft_ms: optionalInteger(outcome.ttftMs, 0, 2_147_483_647),
    attempts: optionalInteger(outcome.attempts, 0, 1000) ?? 1,
    next_reconcile_at:
      generationId !== null && context.reconcileAfterMs !== null
        ? completedAt + context.reconcileAfterMs
        : null,
  };
  return { values, flags };
}
