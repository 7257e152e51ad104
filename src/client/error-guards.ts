import type { ModerationError, PaymentRequiredError, RateLimitError } from './api-errors.ts';
import type {
  AbortError,
  ConnectionError,
  FinishReasonError,
  InvalidResponseError,
  StreamError,
  TimeoutError,
  TruncatedStreamError,
} from './client-errors.ts';
import {
  type APIError,
  type ClientErrorCode,
  ERROR_MARK,
  type ErrorCategory,
  type OpenRouterError,
} from './error-base.ts';

// Guards read the shared Symbol.for marker and the stable `code`/`category`, so they also work
// across realms and duplicated copies of this package, where `instanceof` fails.

export function isOpenRouterError(value: unknown): value is OpenRouterError {
  return (
    typeof value === 'object' && value !== null && (value as { [ERROR_MARK]?: unknown })[ERROR_MARK] === true
  );
}

function hasCategory(value: unknown, category: ErrorCategory): boolean {
  return isOpenRouterError(value) && value.category === category;
}
function hasCode(value: unknown, code: ClientErrorCode): boolean {
  return isOpenRouterError(value) && value.code === code;
}

export const isAPIError = (value: unknown): value is APIError => hasCategory(value, 'api');
export const isRateLimitError = (value: unknown): value is RateLimitError => hasCode(value, 'rate_limited');
export const isPaymentRequiredError = (value: unknown): value is PaymentRequiredError =>
  hasCode(value, 'payment_required');
export const isModerationError = (value: unknown): value is ModerationError => hasCode(value, 'moderation');
export const isConnectionError = (value: unknown): value is ConnectionError =>
  hasCategory(value, 'connection');
export const isTimeoutError = (value: unknown): value is TimeoutError => hasCategory(value, 'timeout');
export const isAbortError = (value: unknown): value is AbortError => hasCategory(value, 'abort');
export const isInvalidResponseError = (value: unknown): value is InvalidResponseError =>
  hasCategory(value, 'response');
export const isStreamError = (value: unknown): value is StreamError => hasCode(value, 'stream_error');
export const isTruncatedStreamError = (value: unknown): value is TruncatedStreamError =>
  hasCode(value, 'stream_truncated');
export const isFinishReasonError = (value: unknown): value is FinishReasonError =>
  hasCategory(value, 'finish_reason');
