import type { Fault } from './faults.ts';

/**
 * OpenRouter's error envelope: `{error: {code, message, metadata}, user_id?}` with the HTTP status
 * equal to `error.code` and `metadata.error_type` from the canonical list (§6.3).
 */

export interface ErrorReply {
  status: number;
  body: { error: { code: number; message: string; metadata: Record<string, unknown> }; user_id?: string };
  headers?: Record<string, string>;
}

export function errorReply(
  status: number,
  message: string,
  errorType: string,
  metadata: Record<string, unknown> = {},
  headers?: Record<string, string>,
): ErrorReply {
  const reply: ErrorReply = {
    status,
    body: { error: { code: status, message, metadata: { error_type: errorType, ...metadata } } },
  };
  if (headers !== undefined) reply.headers = headers;
  return reply;
}

export function withUser(reply: ErrorReply, userId: string | undefined): ErrorReply {
  if (userId !== undefined) reply.body.user_id = userId;
  return reply;
}

export const invalidRequest = (message: string): ErrorReply => errorReply(400, message, 'invalid_request');
export const notFound = (message: string): ErrorReply => errorReply(404, message, 'not_found');
export const forbidden = (message: string): ErrorReply => errorReply(403, message, 'permission_denied');
export const unauthorized = (message: string): ErrorReply => errorReply(401, message, 'authentication');

export function creditsExhausted(): ErrorReply {
  return errorReply(
    402,
    'Insufficient credits. This account has no remaining credits; add more at https://openrouter.ai/settings/credits.',
    'payment_required',
    { limit_source: 'openrouter_credits', remedy_hint: 'Add credits to your account.' },
  );
}

export function keyLimitExceeded(): ErrorReply {
  return errorReply(
    402,
    'Key limit exceeded. Raise the limit of this key at https://openrouter.ai/settings/keys.',
    'payment_required',
    { limit_source: 'openrouter_key_limit', remedy_hint: 'Raise or reset the limit of this API key.' },
  );
}

/** ≤100 characters; longer input keeps its start and end around "...", as OpenRouter does. */
export function flaggedInput(text: string): string {
  if (text.length <= 100) return text;
  return `${text.slice(0, 48)}...${text.slice(-49)}`;
}

export interface FaultContext {
  model: string;
  providerName: string;
  lastText: string;
  nowMs: number;
}

function retryHeaders(fault: Fault, extra: Record<string, string> = {}): Record<string, string> {
  const ms = fault.ms ?? 1000;
  // Retry-After is whole seconds; retry-after-ms (honoured by the OpenAI SDK) keeps tests fast.
  return { 'Retry-After': String(Math.round(ms / 1000)), 'retry-after-ms': String(ms), ...extra };
}

/** The response of a status fault (the `400`…`503` names). */
export function faultReply(fault: Fault, ctx: FaultContext): ErrorReply {
  const provider = { provider_name: ctx.providerName };
  switch (fault.name) {
    case '400':
      return errorReply(400, 'Provider returned error', 'invalid_request', {
        ...provider,
        raw: '{"error":{"message":"Invalid request (simulated)","type":"invalid_request_error"}}',
      });
    case '401':
      return unauthorized('User not found.');
    case '402':
      return creditsExhausted();
    case '403':
      return errorReply(
        403,
        `${ctx.model} requires moderation on ${ctx.providerName}. Your input was flagged for "harassment". No credits were charged.`,
        'permission_denied',
        {
          reasons: ['harassment'],
          flagged_input: flaggedInput(ctx.lastText),
          provider_name: ctx.providerName,
          model_slug: ctx.model,
        },
      );
    case '404':
      return notFound(`No endpoints found for ${ctx.model}.`);
    case '408':
      return errorReply(408, 'Request timed out', 'timeout', provider);
    case '413':
      return errorReply(413, 'Request payload too large', 'payload_too_large');
    case '429': {
      const resetAt = ctx.nowMs + (fault.ms ?? 1000);
      return errorReply(
        429,
        `${ctx.model} is temporarily rate-limited upstream. Please retry shortly.`,
        'rate_limit_exceeded',
        { ...provider, raw: `${ctx.model} is temporarily rate-limited upstream.` },
        retryHeaders(fault, {
          'X-RateLimit-Limit': '20',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(resetAt),
        }),
      );
    }
    case '500':
      return errorReply(500, 'Internal Server Error', 'server');
    case '502':
      return errorReply(502, 'Provider returned error', 'provider_unavailable', {
        ...provider,
        raw: 'upstream connect error or disconnect/reset before headers',
      });
    case '503':
      return errorReply(
        503,
        'No instances available to serve this request. The provider is overloaded.',
        'provider_overloaded',
        { ...provider, raw: 'overloaded' },
        retryHeaders(fault),
      );
    default:
      return errorReply(500, `Fault ${fault.name} has no status reply`, 'server');
  }
}

/** Status faults a `models` fallback list recovers from (model errors, not account errors). */
export function fallsBack(status: number): boolean {
  return (
    status === 400 || status === 403 || status === 404 || status === 408 || status === 413 || status >= 429
  );
}

/** Anthropic's `error.type` for an HTTP status (the /messages skin, §11.4). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 408:
      return 'timeout_error';
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

/** `{type: "error", error: {type, message, error_type}, request_id}`, Anthropic's envelope with §6.3's error_type. */
export function anthropicErrorBody(
  status: number,
  message: string,
  errorType: string,
  requestId: string,
): Record<string, unknown> {
  return {
    type: 'error',
    error: { type: anthropicErrorType(status), message, error_type: errorType },
    request_id: requestId,
  };
}

/** An OpenRouter error reply re-enveloped for /messages: same status and headers. */
export function anthropicReply(
  reply: ErrorReply,
  requestId: string,
): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
  const errorType = reply.body.error.metadata.error_type;
  const body = anthropicErrorBody(
    reply.status,
    reply.body.error.message,
    typeof errorType === 'string' ? errorType : 'unmapped',
    requestId,
  );
  return reply.headers === undefined
    ? { status: reply.status, body }
    : { status: reply.status, body, headers: reply.headers };
}
