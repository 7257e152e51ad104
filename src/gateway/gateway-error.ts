import { isAPIError, isOpenRouterError } from '../client/index.ts';
import { BudgetExceededError, LedgerError } from '../ledger/index.ts';
import { isMeteringError } from '../metering/index.ts';

/**
 * The closed list of error codes the gateway answers with. Codes are stable: never renamed,
 * never reused for another meaning. Each carries its HTTP status and OpenAI error `type`.
 */
export const GATEWAY_ERRORS = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  cost_cap_exceeded: { status: 400, type: 'invalid_request_error' },
  authentication_required: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  budget_exceeded: { status: 402, type: 'insufficient_quota' },
  balance_too_low: { status: 402, type: 'insufficient_quota' },
  permission_denied: { status: 403, type: 'permission_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  too_many_headers: { status: 431, type: 'invalid_request_error' },
  headers_too_large: { status: 431, type: 'invalid_request_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  too_many_streams: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'server_error' },
  ledger_unavailable: { status: 503, type: 'server_error' },
  // Upstream answers, passed on with OpenRouter's status.
  upstream_bad_request: { status: 400, type: 'invalid_request_error' },
  upstream_authentication: { status: 401, type: 'authentication_error' },
  upstream_payment_required: { status: 402, type: 'insufficient_quota' },
  upstream_permission_denied: { status: 403, type: 'permission_error' },
  upstream_moderation: { status: 403, type: 'permission_error' },
  upstream_not_found: { status: 404, type: 'invalid_request_error' },
  upstream_timeout: { status: 408, type: 'server_error' },
  upstream_payload_too_large: { status: 413, type: 'invalid_request_error' },
  upstream_unprocessable: { status: 422, type: 'invalid_request_error' },
  upstream_rate_limited: { status: 429, type: 'rate_limit_error' },
  upstream_error: { status: 500, type: 'server_error' },
  upstream_bad_gateway: { status: 502, type: 'server_error' },
  upstream_unavailable: { status: 503, type: 'server_error' },
  upstream_gateway_timeout: { status: 504, type: 'server_error' },
  upstream_invalid_response: { status: 502, type: 'server_error' },
  upstream_unreachable: { status: 502, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** An error the gateway answers with: a stable code, a message safe to show, extra headers. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? GATEWAY_ERRORS[code].status;
    this.headers = options.headers ?? {};
  }
}

/** OpenAI's error shape, plus tollgate's request id so support can find the ledger row and log line. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; code: GatewayErrorCode; param: null; request_id: string };
}

/**
 * OpenRouter's envelope (api reference §6.1): the HTTP status as a numeric `code`, which
 * `@openrouter/sdk` requires to give a caller its typed error. tollgate's stable code moves to
 * `metadata.tollgate_code`; `type` and `request_id` are kept as in the OpenAI shape.
 */
export interface OpenRouterErrorBody {
  error: {
    code: number;
    message: string;
    type: string;
    param: null;
    request_id: string;
    metadata: { tollgate_code: GatewayErrorCode; request_id: string };
  };
}

/**
 * Anthropic's envelope, for the Messages route (whose callers are Anthropic's SDK and tools such
 * as Claude Code): `error.type` by status as Anthropic names it, tollgate's code beside it.
 */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string; tollgate_code: GatewayErrorCode };
  request_id: string;
}

export type GatewayErrorBody = OpenAiErrorBody | OpenRouterErrorBody | AnthropicErrorBody;

/**
 * Which SDK a route speaks to: Anthropic's on the Messages route, OpenRouter's under /api/v1,
 * OpenAI's under /v1 (and elsewhere).
 */
export type ErrorDialect = 'openai' | 'openrouter' | 'anthropic';

const MESSAGES_ROUTE = /^(?:\/api)?\/v1\/messages(?:\?|$)/;

export function errorDialectOf(url: string | undefined): ErrorDialect {
  if (url === undefined) return 'openai';
  if (MESSAGES_ROUTE.test(url)) return 'anthropic';
  return url.startsWith('/api/') ? 'openrouter' : 'openai';
}

/** Anthropic's error type for an HTTP status (its API's own list). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function errorBody(
  error: GatewayError,
  requestId: string,
  dialect: ErrorDialect = 'openai',
): GatewayErrorBody {
  const type = GATEWAY_ERRORS[error.code].type;
  if (dialect === 'anthropic') {
    return {
      type: 'error',
      error: { type: anthropicErrorType(error.status), message: error.message, tollgate_code: error.code },
      request_id: requestId,
    };
  }
  if (dialect === 'openrouter') {
    return {
      error: {
        code: error.status,
        message: error.message,
        type,
        param: null,
        request_id: requestId,
        metadata: { tollgate_code: error.code, request_id: requestId },
      },
    };
  }
  return { error: { message: error.message, type, code: error.code, param: null, request_id: requestId } };
}

const UPSTREAM_CODES: Record<number, GatewayErrorCode> = {
  400: 'upstream_bad_request',
  401: 'upstream_authentication',
  402: 'upstream_payment_required',
  403: 'upstream_permission_denied',
  404: 'upstream_not_found',
  408: 'upstream_timeout',
  413: 'upstream_payload_too_large',
  422: 'upstream_unprocessable',
  429: 'upstream_rate_limited',
  500: 'upstream_error',
  502: 'upstream_bad_gateway',
  503: 'upstream_unavailable',
  504: 'upstream_gateway_timeout',
};

/** Response headers of an upstream error that a caller's SDK needs (its own retry logic reads them). */
const FORWARDED_ERROR_HEADERS = [
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/**
 * Maps anything thrown while serving a call to what the caller sees. OpenRouter's own message is
 * passed on (already redacted and capped by the client) where the caller can act on it; upstream
 * faults (408, 5xx) get a fixed safe sentence; a provider's raw payload never leaves.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof BudgetExceededError) return new GatewayError('budget_exceeded', error.message);
  if (LedgerError.isInstance(error)) {
    if (error.code === 'ledger_invalid_input') return new GatewayError('invalid_request', error.message);
    if (error.code === 'ledger_unavailable' || error.code === 'ledger_closed') {
      return new GatewayError(
        'ledger_unavailable',
        'The cost ledger is unavailable, so calls are paused. Please try again shortly.',
      );
    }
  }
  if (isMeteringError(error)) {
    return new GatewayError(
      error.code === 'cost_cap_exceeded' ? 'cost_cap_exceeded' : 'balance_too_low',
      error.message,
    );
  }
  if (isAPIError(error)) {
    const status = error.status >= 400 && error.status <= 599 ? error.status : 502;
    const code =
      error.code === 'moderation'
        ? 'upstream_moderation'
        : (UPSTREAM_CODES[status] ?? (status >= 500 ? 'upstream_error' : 'upstream_bad_request'));
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_ERROR_HEADERS) {
      const value = error.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    return new GatewayError(code, error.userMessage, { status, headers });
  }
  if (isOpenRouterError(error)) {
    switch (error.category) {
      case 'timeout':
        return new GatewayError(
          'upstream_gateway_timeout',
          'The AI service took too long to respond. Please try again.',
          { status: 504 },
        );
      case 'connection':
        return new GatewayError(
          'upstream_unreachable',
          'The AI service could not be reached. Please try again.',
        );
      case 'response':
      case 'stream':
        return new GatewayError(
          'upstream_invalid_response',
          'The AI service sent an invalid response. Please try again.',
        );
      default:
        break;
    }
  }
  return new GatewayError('internal_error', 'tollgate failed to handle this request. It has been logged.');
}
