import type { ChatCompletionResult, ChatStreamResult, ChatStreamSummary } from '../client/index.ts';
import { type CallEnd, failureOf, isCancellation } from '../metering/index.ts';

/** A non-streamed completion that came back (finish reason included, problems or not). */
export function endOfCompletion(response: ChatCompletionResult): CallEnd {
  return {
    generationId: response.generationId ?? null,
    model: response.body.model ?? null,
    provider: typeof response.body.provider === 'string' ? response.body.provider : null,
    usage: response.usage ?? null,
    finishReason: response.finishReason,
    nativeFinishReason: response.nativeFinishReason,
    httpStatus: response.status,
    attempts: response.attempts,
    latencyMs: response.latencyMs,
  };
}

/** A stream that ran to its end. */
export function endOfStream(summary: ChatStreamResult): CallEnd {
  return {
    generationId: summary.generationId ?? summary.id ?? null,
    model: summary.model ?? null,
    provider: summary.provider ?? null,
    usage: summary.usage ?? null,
    finishReason: summary.finishReason,
    nativeFinishReason: summary.nativeFinishReason,
    httpStatus: summary.status,
    attempts: summary.attempts,
    latencyMs: summary.latencyMs,
    ttftMs: summary.timeToFirstChunkMs ?? null,
  };
}

/**
 * A call that failed, with whatever arrived before (a stream's partial summary carries the
 * generation id and sometimes usage, which the ledger and the reconciler use).
 */
export function endOfFailure(error: unknown, cancelledByCaller: boolean): CallEnd {
  const partial = partialOf(error);
  const status = errorNumber(error, 'httpStatus') ?? errorNumber(error, 'status');
  return {
    generationId: partial?.id ?? errorString(error, 'generationId') ?? null,
    model: partial?.model ?? null,
    provider: partial?.provider ?? null,
    usage: partial?.usage ?? null,
    finishReason: partial?.finishReason ?? null,
    nativeFinishReason: partial?.nativeFinishReason ?? null,
    httpStatus: status ?? null,
    failure: failureOf(error),
    cancelled: cancelledByCaller || isCancellation(error),
    attempts: errorNumber(error, 'attempts'),
    ttftMs: partial?.timeToFirstChunkMs ?? null,
  };
}

function partialOf(error: unknown): ChatStreamSummary | undefined {
  if (typeof error !== 'object' || error === null || !('partial' in error)) return undefined;
  const partial = (error as { partial?: unknown }).partial;
  return typeof partial === 'object' && partial !== null ? (partial as ChatStreamSummary) : undefined;
}

function errorNumber(error: unknown, key: string): number | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : undefined;
}

function errorString(error: unknown, key: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
