import type { ResponseHeaders } from './headers.ts';

/** Marks every tollgate error; survives duplicated copies of the package where `instanceof` fails. */
export const ERROR_MARK = Symbol.for('tollgate.error');

export type ErrorCategory =
  | 'api'
  | 'connection'
  | 'timeout'
  | 'abort'
  | 'response'
  | 'stream'
  | 'finish_reason';

/** Stable codes: never renamed, never reused for another meaning. */
export type ClientErrorCode =
  | 'bad_request'
  | 'authentication'
  | 'payment_required'
  | 'permission_denied'
  | 'moderation'
  | 'not_found'
  | 'request_timeout'
  | 'payload_too_large'
  | 'unprocessable_entity'
  | 'rate_limited'
  | 'internal_server'
  | 'bad_gateway'
  | 'service_unavailable'
  | 'gateway_timeout'
  | 'provider_overloaded'
  | 'api_error'
  | 'connection_error'
  | 'timeout'
  | 'aborted'
  | 'invalid_response'
  | 'stream_error'
  | 'stream_truncated'
  | 'finish_reason';

/** Base of the client's error tree. `attempts` is how many HTTP attempts the call made. */
export class OpenRouterError extends Error {
  readonly code: ClientErrorCode;
  readonly category: ErrorCategory;
  attempts: number;
  /**
   * Whether OpenRouter may have billed the call, over all its attempts: false only when each
   * attempt either never reached it (refused connection, unknown host) or got an error response
   * it sends before doing any work. A cost ledger records `false` as a known zero; `true` as
   * unknown, held against budgets until the generation endpoint tells.
   */
  mayHaveBilled = true;
  constructor(
    message: string,
    code: ClientErrorCode,
    category: ErrorCategory,
    options: { attempts?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OpenRouterError';
    this.code = code;
    this.category = category;
    this.attempts = options.attempts ?? 0;
    Object.defineProperty(this, ERROR_MARK, { value: true, enumerable: false });
  }
}

/** Everything the factory extracted from an error response (already redacted). */
export interface APIErrorFields {
  /** Effective status: the HTTP status, or `error.code` when a 200 carried only an error. */
  status: number;
  /** The HTTP status line actually received (200 for §6.5 in-band errors). */
  httpStatus: number;
  /** OpenRouter's `error.message` (redacted, length-capped). */
  message: string;
  /** OpenRouter's `error.code`: a number, or a string in older payloads. */
  openRouterCode: number | string | undefined;
  metadata: Record<string, unknown> | undefined;
  headers: ResponseHeaders;
  generationId: string | undefined;
  requestId: string | undefined;
  userId: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  attempts?: number | undefined;
  retryAfterMs?: number | undefined;
}

const USER_MESSAGES: Record<number, string> = {
  408: 'The AI service took too long to respond. Please try again.',
  500: 'The AI service had an internal error. Please try again.',
  502: 'The AI model provider is unavailable or sent an invalid response. Please try again.',
  503: 'No AI model provider is available right now. Please try again shortly.',
  504: 'The AI model provider timed out. Please try again.',
  524: 'The AI model provider timed out. Please try again.',
  529: 'The AI model provider is overloaded. Please try again shortly.',
};
/**
 * Whether OpenRouter's message tells the caller what to fix (design.md, gateway errors): every
 * 4xx but a timeout. A refusal the caller must change something for (405, 409, 410…) is never
 * answered "please try again".
 */
const actionable = (status: number) => status >= 400 && status < 500 && status !== 408;

/** An HTTP error response from OpenRouter (or an in-band error in a 200 body). */
export class APIError extends OpenRouterError {
  readonly status: number;
  readonly httpStatus: number;
  readonly openRouterCode: number | string | undefined;
  /** `error.metadata` as sent (redacted). Internal detail: may hold the provider's raw payload. */
  readonly metadata: Record<string, unknown> | undefined;
  /** `metadata.error_type` (§6.3): the stable machine-readable cause. */
  readonly errorType: string | undefined;
  readonly providerName: string | undefined;
  /** The upstream provider's raw error (`metadata.raw`), for logs only. */
  readonly providerRaw: unknown;
  /** A subset of response headers (retry timing, rate limits, ids). */
  readonly headers: ResponseHeaders;
  readonly generationId: string | undefined;
  readonly requestId: string | undefined;
  /** The request that failed (`POST`, `/chat/completions`), when known: what a hint depends on. */
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly userId: string | undefined;
  /** Safe to show an end user: never the provider's raw payload. */
  readonly userMessage: string;
  /** The OpenRouter message without the status/route prefix of `message`. */
  readonly rawMessage: string;
  constructor(fields: APIErrorFields, code: ClientErrorCode = 'api_error') {
    const route = fields.method && fields.path ? ` (${fields.method} ${fields.path})` : '';
    super(`OpenRouter ${fields.status}: ${fields.message}${route}`, code, 'api', {
      attempts: fields.attempts,
    });
    this.name = 'APIError';
    this.status = fields.status;
    this.httpStatus = fields.httpStatus;
    this.openRouterCode = fields.openRouterCode;
    this.metadata = fields.metadata;
    this.errorType = stringField(fields.metadata, 'error_type');
    this.providerName = stringField(fields.metadata, 'provider_name');
    this.providerRaw = fields.metadata?.raw;
    this.headers = fields.headers;
    this.generationId = fields.generationId;
    this.requestId = fields.requestId;
    this.method = fields.method;
    this.path = fields.path;
    this.userId = fields.userId;
    this.rawMessage = fields.message;
    // OpenRouter refuses before doing any work; only an error inside a 200 (§6.5) can follow it,
    // and a 524: its edge timed out waiting, while the request may still run (and bill) behind it.
    this.mayHaveBilled = fields.httpStatus === 200 || fields.httpStatus === 524;
    this.userMessage = actionable(fields.status)
      ? fields.message
      : (USER_MESSAGES[fields.status] ?? 'The AI service failed. Please try again.');
  }
}

function stringField(record: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}
