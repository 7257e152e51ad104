import type { ErrorObject } from '../shared/wire/index.ts';
import { FinishReasonError } from './client-errors.ts';

/** Finish reasons that mean the output is incomplete or missing (§4.1). */
export const PROBLEM_FINISH_REASONS = ['length', 'content_filter', 'error'] as const;
export type ProblemFinishReason = (typeof PROBLEM_FINISH_REASONS)[number];

export function isProblemFinishReason(reason: string | null | undefined): reason is ProblemFinishReason {
  return reason === 'length' || reason === 'content_filter' || reason === 'error';
}

/**
 * The FinishReasonError a result carries when its finish reason is length, content_filter or
 * error; undefined otherwise. The client never throws it itself: a truncated answer may still be
 * worth its cost, so the caller decides (or calls {@link assertFinishedNormally}).
 */
export function finishReasonError(fields: {
  finishReason: string | null | undefined;
  nativeFinishReason?: string | null | undefined;
  choiceError?: ErrorObject | undefined;
  generationId?: string | undefined;
  attempts?: number | undefined;
}): FinishReasonError | undefined {
  if (!isProblemFinishReason(fields.finishReason)) return undefined;
  return new FinishReasonError({
    finishReason: fields.finishReason,
    nativeFinishReason: fields.nativeFinishReason ?? null,
    choiceError: fields.choiceError,
    generationId: fields.generationId,
    attempts: fields.attempts,
  });
}

/** Throws the result's FinishReasonError, if it has one. */
export function assertFinishedNormally(result: { finishReasonError: FinishReasonError | undefined }): void {
  if (result.finishReasonError) throw result.finishReasonError;
}
