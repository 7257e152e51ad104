import { describe, expect, it } from 'vitest';
import { AbortError, StreamError, TimeoutError } from './client-errors.ts';
import {
  isAbortError,
  isAPIError,
  isModerationError,
  isOpenRouterError,
  isRateLimitError,
  isStreamError,
  isTimeoutError,
} from './error-guards.ts';
import {
  APIError,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  ERROR_MARK,
  errorFromResponse,
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
} from './errors.ts';
import { createStreamAccumulator } from './stream-accumulator.ts';

const envelope = (code: number | string, message = 'boom', metadata?: Record<string, unknown>) => ({
  error: { code, message, ...(metadata ? { metadata } : {}) },
  user_id: 'user_1',
});

describe('errorFromResponse', () => {
  const cases: [number, new (...args: never[]) => APIError, string][] = [
    [400, BadRequestError, 'bad_request'],
    [401, AuthenticationError, 'authentication'],
    [402, PaymentRequiredError, 'payment_required'],
    [403, PermissionDeniedError, 'permission_denied'],
    [404, NotFoundError, 'not_found'],
    [408, RequestTimeoutError, 'request_timeout'],
    [413, PayloadTooLargeError, 'payload_too_large'],
    [422, UnprocessableEntityError, 'unprocessable_entity'],
    [429, RateLimitError, 'rate_limited'],
    [500, InternalServerError, 'internal_server'],
    [502, BadGatewayError, 'bad_gateway'],
    [503, ServiceUnavailableError, 'service_unavailable'],
    [504, GatewayTimeoutError, 'gateway_timeout'],
    [524, GatewayTimeoutError, 'gateway_timeout'],
    [529, ProviderOverloadedError, 'provider_overloaded'],
    [501, InternalServerError, 'internal_server'],
    [409, APIError, 'api_error'],
  ];
  for (const [status, Class, code] of cases) {
    it(`${status} → ${Class.name}`, () => {
      const error = errorFromResponse(status, envelope(status), {
        'x-generation-id': 'gen-9',
        'set-cookie': 'x',
      });
      expect(error).toBeInstanceOf(Class);
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.rawMessage).toBe('boom');
      expect(error.userId).toBe('user_1');
      expect(error.generationId).toBe('gen-9');
      expect(error.headers).toEqual({ 'x-generation-id': 'gen-9' });
      expect(isAPIError(error)).toBe(true);
    });
  }

  it("passes OpenRouter's message on as the user message for a refusal (4xx), never for a fault", () => {
    for (const status of [400, 404, 405, 409, 410, 422]) {
      expect(errorFromResponse(status, envelope(status, 'model id is wrong'), {}).userMessage).toBe(
        'model id is wrong',
      );
    }
    for (const [status, message] of [
      [408, 'The AI service took too long to respond. Please try again.'],
      [500, 'The AI service had an internal error. Please try again.'],
      [501, 'The AI service failed. Please try again.'],
    ] as const) {
      expect(errorFromResponse(status, envelope(status, 'internal detail'), {}).userMessage).toBe(message);
    }
  });

  it('keeps provider details but never puts them in userMessage', () => {
    const error = errorFromResponse(
      502,
      envelope(502, 'Provider returned error', {
        provider_name: 'DeepInfra',
        raw: { detail: 'CUDA out of memory at node 7' },
        error_type: 'provider_unavailable',
      }),
      {},
      { method: 'POST', path: '/chat/completions', attempts: 3 },
    );
    expect(error.providerName).toBe('DeepInfra');
    expect(error.providerRaw).toEqual({ detail: 'CUDA out of memory at node 7' });
    expect(error.errorType).toBe('provider_unavailable');
    expect(error.userMessage).not.toContain('CUDA');
    expect(error.message).toBe('OpenRouter 502: Provider returned error (POST /chat/completions)');
    expect(error.attempts).toBe(3);
  });

  it('maps moderation metadata to ModerationError', () => {
    const error = errorFromResponse(
      403,
      envelope(403, 'flagged', {
        reasons: ['violence'],
        flagged_input: 'some...text',
        provider_name: 'OpenAI',
        model_slug: 'openai/gpt-4o',
      }),
      {},
    );
    expect(error).toBeInstanceOf(ModerationError);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({
      code: 'moderation',
      reasons: ['violence'],
      flaggedInput: 'some...text',
      providerName: 'OpenAI',
      modelSlug: 'openai/gpt-4o',
    });
    expect(isModerationError(error)).toBe(true);
    expect(error.userMessage).toBe('The input was flagged by content moderation (violence).');
  });

  it('reads 402 limit details and 429 retry and rate-limit headers', () => {
    const payment = errorFromResponse(
      402,
      envelope(402, 'budget', {
        limit_source: 'openrouter_in_flight_budget',
        reason: 'in_flight_budget_exhausted',
        remedy_hint: 'wait',
      }),
      { 'retry-after': '2' },
    ) as PaymentRequiredError;
    expect(payment).toMatchObject({
      limitSource: 'openrouter_in_flight_budget',
      reason: 'in_flight_budget_exhausted',
    });
    expect(payment.retryAfterMs).toBe(2000);
    const limited = errorFromResponse(429, envelope(429, 'slow down'), {
      'retry-after': '3',
      'x-ratelimit-limit': '20',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1741305600000',
    }) as RateLimitError;
    expect(limited.retryAfterMs).toBe(3000);
    expect(limited.rateLimit).toEqual({ limit: 20, remaining: 0, reset: 1741305600000 });
    expect(isRateLimitError(limited)).toBe(true);
  });

  it('maps a 200 that carries only an error by its code (and 502 when the code is not a status)', () => {
    const error = errorFromResponse(200, envelope(503, 'overloaded'), {});
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.httpStatus).toBe(200);
    expect(errorFromResponse(200, envelope('server_error'), {})).toBeInstanceOf(BadGatewayError);
  });

  it('handles bodies that are not error envelopes', () => {
    const html = errorFromResponse(524, '<html>A timeout occurred</html>', {});
    expect(html).toBeInstanceOf(GatewayTimeoutError);
    expect(html.rawMessage).toContain('A timeout occurred');
    expect(errorFromResponse(500, '', {}).rawMessage).toBe('HTTP 500 without an error body');
    expect(errorFromResponse(400, { error: { code: 400 } }, {}).rawMessage).toBe(
      'HTTP 400 without an error body',
    );
  });

  it('redacts secrets from messages and metadata', () => {
    const key = 'sk-or-v1-0123456789abcdef0123456789abcdef';
    const error = errorFromResponse(
      401,
      envelope(401, `bad key ${key}`, { raw: `key=${key}` }),
      {},
      { secrets: [key] },
    );
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(key);
    expect(error.rawMessage).toBe('bad key [REDACTED]');
  });
});

describe('guards', () => {
  it('rely on the Symbol.for marker and codes, not instanceof', () => {
    const error = new TimeoutError('total', 5000);
    const foreign = { [Symbol.for('tollgate.error')]: true, category: 'timeout', code: 'timeout' };
    expect(isTimeoutError(foreign)).toBe(true);
    expect(isOpenRouterError(error)).toBe(true);
    expect((error as unknown as Record<symbol, unknown>)[ERROR_MARK]).toBe(true);
    expect(Object.keys(error)).not.toContain(String(ERROR_MARK));
    expect(isOpenRouterError(new Error('x'))).toBe(false);
    expect(isOpenRouterError(null)).toBe(false);
    expect(isAbortError(new AbortError())).toBe(true);
    expect(isAPIError(new AbortError())).toBe(false);
    const partial = createStreamAccumulator(0).snapshot();
    expect(isStreamError(new StreamError({ code: 500, message: 'x' }, partial))).toBe(true);
  });
});
