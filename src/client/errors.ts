import { ErrorEnvelopeSchema, ModerationMetadataSchema } from '../shared/wire/index.ts';
import {
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  GatewayTimeoutError,
  InternalServerError,
  ModerationError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  ProviderOverloadedError,
  RateLimitError,
  RequestTimeoutError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from './api-errors.ts';
import { APIError, type APIErrorFields } from './error-base.ts';
import { errorHeaderSubset, type ResponseHeaders } from './headers.ts';
import { bodyExcerpt, redactDeep, redactSecrets } from './redact.ts';
import { parseRetryAfterMs } from './retry-policy.ts';

// The whole tree is reachable from here: base, per-status classes, local failures, the factory.
export * from './api-errors.ts';
export * from './client-errors.ts';
export * from './error-base.ts';

export interface ErrorContext {
  method?: string;
  path?: string;
  attempts?: number;
  /** Strings to scrub from every message and field (the API key). */
  secrets?: readonly string[];
  /** For HTTP-date Retry-After values. */
  nowMs?: number;
}

const MAX_MESSAGE = 500;

/**
 * The one mapping from an error response to the error tree. `body` is the parsed JSON (or the raw
 * text when it was not JSON). A 200 whose body is only `{error}` maps by `error.code`.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: ResponseHeaders,
  context: ErrorContext = {},
): APIError {
  const secrets = context.secrets ?? [];
  const envelope = ErrorEnvelopeSchema.safeParse(body);
  const error = envelope.success ? envelope.data.error : undefined;
  const numericCode = typeof error?.code === 'number' ? error.code : Number.NaN;
  const effective = status >= 400 ? status : numericCode >= 400 && numericCode <= 599 ? numericCode : 502;
  let message = error?.message ?? '';
  if (!message) {
    const text = typeof body === 'string' ? body : '';
    message = text.trim()
      ? `HTTP ${status}: ${bodyExcerpt(text, secrets)}`
      : `HTTP ${status} without an error body`;
  }
  message = redactSecrets(message, secrets);
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  const subset = errorHeaderSubset(headers);
  const metadata = error?.metadata
    ? (redactDeep(error.metadata, secrets) as Record<string, unknown>)
    : undefined;
  const fields: APIErrorFields = {
    status: effective,
    httpStatus: status,
    message,
    openRouterCode: error?.code ?? undefined,
    metadata,
    headers: subset,
    generationId: subset['x-generation-id'],
    requestId: subset['x-request-id'],
    userId: envelope.success ? (envelope.data.user_id ?? undefined) : undefined,
    method: context.method,
    path: context.path,
    attempts: context.attempts,
    retryAfterMs: parseRetryAfterMs(subset, context.nowMs),
  };
  switch (effective) {
    case 400:
      return new BadRequestError(fields);
    case 401:
      return new AuthenticationError(fields);
    case 402:
      return new PaymentRequiredError(fields);
    case 403:
      return ModerationMetadataSchema.safeParse(metadata ?? {}).success
        ? new ModerationError(fields)
        : new PermissionDeniedError(fields);
    case 404:
      return new NotFoundError(fields);
    case 408:
      return new RequestTimeoutError(fields);
    case 413:
      return new PayloadTooLargeError(fields);
    case 422:
      return new UnprocessableEntityError(fields);
    case 429:
      return new RateLimitError(fields);
    case 502:
      return new BadGatewayError(fields);
    case 503:
      return new ServiceUnavailableError(fields);
    case 504:
    case 524:
      return new GatewayTimeoutError(fields);
    case 529:
      return new ProviderOverloadedError(fields);
    default:
      return effective >= 500 ? new InternalServerError(fields) : new APIError(fields);
  }
}
