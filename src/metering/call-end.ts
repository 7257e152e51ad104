import { ClientConfigError, isAbortError, isOpenRouterError } from '../client/index.ts';
import type { CompletionStatus, CostSource, RequestOutcome } from '../ledger/index.ts';
import {
  computeCost,
  costFromUsage,
  normalizeTokens,
  type Pricing,
  type UsageLike,
} from '../pricing/index.ts';
import type { Money } from '../shared/money.ts';

/**
 * How a metered call ended, as far as tollgate saw it: the response's facts (complete for a
 * success, partial for a stream that broke) and the failure, if any. Built by the library facade
 * and by the gateway's side reader alike, then turned into one ledger outcome by `outcomeOf`.
 */
export interface CallEnd {
  generationId?: string | null | undefined;
  /** The model that served (after fallbacks). */
  model?: string | null | undefined;
  provider?: string | null | undefined;
  usage?: UsageLike | null | undefined;
  finishReason?: string | null | undefined;
  nativeFinishReason?: string | null | undefined;
  httpStatus?: number | null | undefined;
  failure?: CallFailure | null | undefined;
  /** The caller went away (disconnect, abort, cancelled iterator). */
  cancelled?: boolean | undefined;
  attempts?: number | undefined;
  latencyMs?: number | undefined;
  ttftMs?: number | null | undefined;
}

export interface CallFailure {
  /** Stable code (the client's error code, or the gateway's). */
  code: string;
  /** Internal detail for the ledger and logs; never shown to end users. */
  message: string;
  /**
   * Whether OpenRouter can have billed the call: `no` for an error response it sent before
   * doing any work, `unknown` when the connection broke, timed out or the body was unreadable.
   */
  billed: 'no' | 'unknown';
}

/** Describes a thrown error as a ledger failure. */
export function failureOf(error: unknown): CallFailure {
  if (isOpenRouterError(error)) {
    // The client knows, over every attempt, whether OpenRouter may have billed (an error response
    // before any work or a refused connection: no; an in-band error on a 200, a reset, a timeout:
    // maybe). An error from another copy of the client, without the field, counts as maybe.
    const billed = (error as { mayHaveBilled?: boolean }).mayHaveBilled === false ? 'no' : 'unknown';
    return { code: error.code, message: error.message, billed };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Refused by the client before anything was sent (a bad per-call option).
  if (error instanceof ClientConfigError) return { code: error.code, message, billed: 'no' };
  return { code: 'internal_error', message, billed: 'unknown' };
}

/** True when the error means the caller gave up (its abort signal, a closed iterator). */
export function isCancellation(error: unknown): boolean {
  return isAbortError(error);
}

export interface OutcomeContext {
  /** The catalogue price of the serving model (or the requested one), when known. */
  pricing: Pricing | undefined;
  at: Date;
  /** Input images in the request: the estimate adds the model's per-image price for each. */
  images?: number | undefined;
}

/**
 * Turns how a call ended into its ledger outcome. The billed `usage.cost` wins; without it the
 * catalogue estimate stands in (cost_source says which); with neither the cost is unknown (NULL),
 * never 0, except for an error response OpenRouter sent without doing work, which costs nothing.
 */
export function outcomeOf(end: CallEnd, context: OutcomeContext): RequestOutcome {
  const status = statusOf(end);
  const usage = end.usage ?? undefined;
  const tokens = usage ? normalizeTokens(usage) : undefined;
  const billed = usage ? costFromUsage(usage) : undefined;
  const estimate =
    usage && context.pricing
      ? computeCost(usage, context.pricing, {
          at: context.at,
          finishReason: end.finishReason ?? null,
          images: context.images ?? 0,
        }).total
      : null;

  let cost: Money | null = null;
  let costSource: CostSource | null = null;
  if (billed?.known) {
    cost = billed.cost;
    costSource = 'usage';
  } else if (estimate !== null) {
    cost = estimate;
    costSource = 'estimate';
  } else if (!usage && end.failure?.billed === 'no') {
    cost = 0n;
    costSource = 'usage';
  }

  return {
    status,
    generationId: end.generationId ?? null,
    model: end.model ?? null,
    provider: end.provider ?? null,
    finishReason: end.finishReason ?? null,
    nativeFinishReason: end.nativeFinishReason ?? null,
    httpStatus: end.httpStatus ?? null,
    errorCode:
      end.failure?.code ??
      (status === 'filtered' ? 'content_filter' : status === 'error' ? 'finish_error' : null),
    errorMessage: end.failure?.message ?? null,
    usage: tokens
      ? {
          promptTokens: tokens.promptTokens,
          completionTokens: tokens.completionTokens,
          reasoningTokens: reasoningUnknown(usage, tokens.completionTokens) ? null : tokens.reasoningTokens,
          cachedTokens: tokens.cachedTokens,
          cacheWriteTokens: tokens.cacheWriteTokens,
        }
      : null,
    cost,
    costSource,
    estimatedCost: estimate,
    upstreamInferenceCost: billed?.upstreamInferenceCost ?? null,
    // A usage that does not say (Anthropic's Messages usage) leaves it unknown until reconciled.
    isByok: billed && typeof usage?.is_byok === 'boolean' ? billed.isByok : null,
    latencyMs: end.latencyMs ?? null,
    ttftMs: end.ttftMs ?? null,
    attempts: end.attempts ?? null,
  };
}

/**
 * A usage with output but no reasoning count (Anthropic's Messages usage) does not say how much
 * of the output was reasoning: unknown until reconciled, never a made-up 0.
 */
function reasoningUnknown(usage: UsageLike | undefined, completionTokens: number): boolean {
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  return completionTokens > 0 && (reasoning === undefined || reasoning === null);
}

function statusOf(end: CallEnd): CompletionStatus {
  if (end.cancelled) return 'cancelled';
  if (end.failure) return 'error';
  if (end.finishReason === 'content_filter') return 'filtered';
  if (end.finishReason === 'error') return 'error';
  return 'ok';
}
