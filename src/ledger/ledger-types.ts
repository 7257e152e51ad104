import type { Money } from '../shared/money.ts';

export const REQUEST_STATUSES = ['pending', 'ok', 'error', 'filtered', 'cancelled', 'interrupted'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
/** The statuses a pending row may be completed with. */
export type CompletionStatus = Exclude<RequestStatus, 'pending'>;
export const COST_SOURCES = ['usage', 'estimate', 'generation'] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** Counts that contradict each other; the row keeps the numbers and carries the flag. */
export type TokenCheckFlag =
  | 'cached_exceeds_prompt'
  | 'cache_write_exceeds_prompt'
  | 'reasoning_exceeds_completion'
  | 'invalid_count';

export type TagValue = string | number | boolean | null;

/** The pending row written before the upstream call. */
export interface BeginRequest {
  /**
   * A UUIDv7; defaults to one taken at `createdAt`. `created_at` is always the id's timestamp (it
   * keys the PostgreSQL partitions), so pass either, or both when they agree.
   */
  id?: string;
  /** A caller's correlation id (e.g. an incoming X-Request-Id). */
  requestId?: string | null;
  /** Epoch ms; defaults to the ledger clock. */
  createdAt?: number;
  module: string;
  userId?: string | null;
  keyId?: string | null;
  tags?: Readonly<Record<string, TagValue>> | null;
  modelRequested: string;
  streamed?: boolean;
  estimatedCost?: Money | null;
}

export interface BegunRequest {
  id: string;
  createdAt: number;
  /** True when the database was unreachable and the row went to the local spool (durable, replayed later). */
  spooled: boolean;
}

export interface TokenUsage {
  promptTokens?: number | null;
  completionTokens?: number | null;
  reasoningTokens?: number | null;
  cachedTokens?: number | null;
  cacheWriteTokens?: number | null;
}

/** How a request ended. `cost: null` means unknown: it is stored as NULL, never as 0. */
export interface RequestOutcome {
  status: CompletionStatus;
  /** Epoch ms; defaults to the ledger clock. */
  completedAt?: number;
  generationId?: string | null;
  /** The model that served the request. */
  model?: string | null;
  provider?: string | null;
  finishReason?: string | null;
  nativeFinishReason?: string | null;
  httpStatus?: number | null;
  errorCode?: string | null;
  /** Internal detail (never shown to end users); capped at 2,000 characters. */
  errorMessage?: string | null;
  usage?: TokenUsage | null;
  cost: Money | null;
  /** Required when `cost` is known. */
  costSource?: CostSource | null;
  estimatedCost?: Money | null;
  /** What a BYOK provider account was charged, kept apart from `cost`. */
  upstreamInferenceCost?: Money | null;
  isByok?: boolean | null;
  latencyMs?: number | null;
  ttftMs?: number | null;
  attempts?: number | null;
}

export interface CompleteResult {
  /** False when the row was already final (a replay) or does not exist. */
  applied: boolean;
  spooled: boolean;
  tokenCheck: readonly TokenCheckFlag[];
}

/** A ledger row as read back. Amounts are exact `Money` (picodollars); times epoch ms. */
export interface LedgerRow {
  id: string;
  instanceId: string | null;
  requestId: string | null;
  generationId: string | null;
  createdAt: number;
  completedAt: number | null;
  module: string;
  userId: string | null;
  keyId: string | null;
  tags: Record<string, TagValue> | null;
  modelRequested: string;
  model: string | null;
  provider: string | null;
  status: RequestStatus;
  finishReason: string | null;
  nativeFinishReason: string | null;
  httpStatus: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  reasoningTokens: number | null;
  cachedTokens: number | null;
  cacheWriteTokens: number | null;
  tokenCheck: readonly TokenCheckFlag[];
  cost: Money | null;
  costSource: CostSource | null;
  costKnown: boolean;
  estimatedCost: Money | null;
  upstreamInferenceCost: Money | null;
  isByok: boolean | null;
  latencyMs: number | null;
  ttftMs: number | null;
  streamed: boolean;
  attempts: number;
  upstreamLatencyMs: number | null;
  generationTimeMs: number | null;
  providerResponses: unknown[] | null;
  reconciledAt: number | null;
  reconcileAttempts: number;
  nextReconcileAt: number | null;
}

/** A finished row for the bulk import path (`importRows`): no group commit, large transactions. */
export interface ImportRow extends BeginRequest, RequestOutcome {
  /** A UUIDv7 whose timestamp is the row's creation time (see `BeginRequest.id`). */
  id: string;
}

/** pino-compatible structural logger. */
export interface LedgerLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export const silentLogger: LedgerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
