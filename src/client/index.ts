/**
 * The typed OpenRouter client: the only entry point for code outside src/client.
 */

export { ChatCompletionStream, type ChatStreamResult } from './chat-stream.ts';
export { createOpenRouterClient, type OpenRouterClient } from './client.ts';
export {
  ClientConfigError,
  DEFAULT_BASE_URL,
  type EnvLike,
  loadClientOptions,
  parseDotenv,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client-env.ts';
export {
  AbortError,
  ConnectionError,
  FinishReasonError,
  InvalidResponseError,
  StreamError,
  TimeoutError,
  TruncatedStreamError,
} from './client-errors.ts';
export {
  isAbortError,
  isAPIError,
  isConnectionError,
  isFinishReasonError,
  isInvalidResponseError,
  isModerationError,
  isOpenRouterError,
  isPaymentRequiredError,
  isRateLimitError,
  isStreamError,
  isTimeoutError,
  isTruncatedStreamError,
} from './error-guards.ts';
export {
  APIError,
  type APIErrorFields,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  type ClientErrorCode,
  ERROR_MARK,
  type ErrorCategory,
  type ErrorContext,
  errorFromResponse,
  GatewayTimeoutError,
  InternalServerError,
  ModerationError,
  NotFoundError,
  OpenRouterError,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  ProviderOverloadedError,
  RateLimitError,
  RequestTimeoutError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from './errors.ts';
export {
  assertFinishedNormally,
  finishReasonError,
  isProblemFinishReason,
  PROBLEM_FINISH_REASONS,
  type ProblemFinishReason,
} from './finish-reason.ts';
export type { ResponseHeaders } from './headers.ts';
export { createLimiter, type Limiter, type LimiterOptions, type Release } from './limiter.ts';
export type { OpenedStream } from './open-stream.ts';
export { checkRequestOptions } from './option-checks.ts';
export { createPkceVerifier, pkceChallenge } from './pkce.ts';
export type {
  ActivityQuery,
  ActivityResource,
  CreditsResource,
  KeyListQuery,
  KeyResource,
  KeysResource,
} from './resources/account.ts';
export type { AuthResource, ExchangeCodeParams } from './resources/auth.ts';
export type {
  ChatCompletionBody,
  ChatCompletionCreateParams,
  ChatCompletionResult,
  ChatCreateParams,
  ChatMessageParam,
  ChatResource,
  ChatResponseChoice,
  ChatResponseMessage,
} from './resources/chat.ts';
export type { ForwardedResponse, ForwardResource, ForwardSpec } from './resources/forward.ts';
export type {
  CompletionResult,
  CompletionsResource,
  EmbeddingsResource,
  GenerationResource,
} from './resources/inference.ts';
export type { ModelListQuery, ModelsResource, ProvidersResource } from './resources/models.ts';
export {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  decideRetry,
  type JitterMode,
  parseRetryAfterMs,
  type RetryDecision,
  type RetryFailure,
  type RetryPolicy,
} from './retry-policy.ts';
export type { AccumulatedToolCall, ChatStreamSummary } from './stream-accumulator.ts';
export {
  createOpenRouterTransport,
  type HttpMethod,
  type OpenRouterTransport,
  type TransportOptions,
  type TransportRequest,
  type TransportResponse,
} from './transport.ts';
export type { ApiResult, AttemptInfo, ClientOptions, RequestOptions, ResponseMeta } from './types.ts';
