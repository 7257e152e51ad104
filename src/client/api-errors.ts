import { CreditLimitMetadataSchema, ModerationMetadataSchema } from '../shared/wire/index.ts';
import { APIError, type APIErrorFields, type ClientErrorCode } from './error-base.ts';
import { headerNumber } from './headers.ts';

// One class per HTTP status (openai-node style), plus OpenRouter's 402/403-moderation/5xx variants.

export class BadRequestError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'bad_request');
    this.name = 'BadRequestError';
  }
}
export class AuthenticationError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'authentication');
    this.name = 'AuthenticationError';
  }
}
/** 402: `limitSource` says which limit (credits, key limit, in-flight budget). */
export class PaymentRequiredError extends APIError {
  readonly limitSource: string | undefined;
  readonly reason: string | undefined;
  readonly remedyHint: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(fields: APIErrorFields) {
    super(fields, 'payment_required');
    this.name = 'PaymentRequiredError';
    const meta = CreditLimitMetadataSchema.safeParse(fields.metadata ?? {});
    this.limitSource = meta.success ? meta.data.limit_source : undefined;
    this.reason = meta.success ? meta.data.reason : undefined;
    this.remedyHint = meta.success ? meta.data.remedy_hint : undefined;
    this.retryAfterMs = fields.retryAfterMs;
  }
}
export class PermissionDeniedError extends APIError {
  constructor(fields: APIErrorFields, code: ClientErrorCode = 'permission_denied') {
    super(fields, code);
    this.name = 'PermissionDeniedError';
  }
}
/** 403 because a moderated model flagged the input. */
export class ModerationError extends PermissionDeniedError {
  readonly reasons: string[];
  readonly flaggedInput: string | undefined;
  readonly modelSlug: string | undefined;
  override readonly userMessage: string;
  constructor(fields: APIErrorFields) {
    super(fields, 'moderation');
    this.name = 'ModerationError';
    const meta = ModerationMetadataSchema.safeParse(fields.metadata ?? {});
    this.reasons = meta.success ? meta.data.reasons : [];
    this.flaggedInput = meta.success ? meta.data.flagged_input : undefined;
    this.modelSlug = meta.success ? meta.data.model_slug : undefined;
    const why = this.reasons.length > 0 ? ` (${this.reasons.join(', ')})` : '';
    this.userMessage = `The input was flagged by content moderation${why}.`;
  }
}
export class NotFoundError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'not_found');
    this.name = 'NotFoundError';
  }
}
export class RequestTimeoutError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'request_timeout');
    this.name = 'RequestTimeoutError';
  }
}
export class PayloadTooLargeError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'payload_too_large');
    this.name = 'PayloadTooLargeError';
  }
}
export class UnprocessableEntityError extends APIError {
  constructor(fields: APIErrorFields) {
    super(fields, 'unprocessable_entity');
    this.name = 'UnprocessableEntityError';
  }
}
/** 429: `retryAfterMs` from Retry-After / retry-after-ms; `rateLimit` from X-RateLimit-*. */
export class RateLimitError extends APIError {
  readonly retryAfterMs: number | undefined;
  readonly rateLimit: { limit?: number; remaining?: number; reset?: number };
  constructor(fields: APIErrorFields) {
    super(fields, 'rate_limited');
    this.name = 'RateLimitError';
    this.retryAfterMs = fields.retryAfterMs;
    const rateLimit: { limit?: number; remaining?: number; reset?: number } = {};
    const limit = headerNumber(fields.headers, 'x-ratelimit-limit');
    const remaining = headerNumber(fields.headers, 'x-ratelimit-remaining');
    const reset = headerNumber(fields.headers, 'x-ratelimit-reset');
    if (limit !== undefined) rateLimit.limit = limit;
    if (remaining !== undefined) rateLimit.remaining = remaining;
    if (reset !== undefined) rateLimit.reset = reset;
    this.rateLimit = rateLimit;
  }
}
/** 500 and any other 5xx without a class of its own. */
export class InternalServerError extends APIError {
  constructor(fields: APIErrorFields, code: ClientErrorCode = 'internal_server') {
    super(fields, code);
    this.name = 'InternalServerError';
  }
}
export class BadGatewayError extends InternalServerError {
  constructor(fields: APIErrorFields) {
    super(fields, 'bad_gateway');
    this.name = 'BadGatewayError';
  }
}
export class ServiceUnavailableError extends InternalServerError {
  readonly retryAfterMs: number | undefined;
  constructor(fields: APIErrorFields, code: ClientErrorCode = 'service_unavailable') {
    super(fields, code);
    this.name = 'ServiceUnavailableError';
    this.retryAfterMs = fields.retryAfterMs;
  }
}
/** 504 (provider timeout) and 524 (edge timeout). */
export class GatewayTimeoutError extends InternalServerError {
  constructor(fields: APIErrorFields) {
    super(fields, 'gateway_timeout');
    this.name = 'GatewayTimeoutError';
  }
}
/** 529: provider overloaded; a kind of 503. */
export class ProviderOverloadedError extends ServiceUnavailableError {
  constructor(fields: APIErrorFields) {
    super(fields, 'provider_overloaded');
    this.name = 'ProviderOverloadedError';
  }
}
