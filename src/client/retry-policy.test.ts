import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  decideRetry,
  parseRetryAfterMs,
  type RetryInput,
  type RetryPolicy,
} from './retry-policy.ts';

const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, jitter: 'none' };
const now = Date.UTC(2026, 0, 1);
const status = (code: number, headers: Record<string, string> = {}, limitSource?: string) =>
  ({ kind: 'status', status: code, headers, limitSource }) as const;
const decide = (partial: Partial<RetryInput>) =>
  decideRetry({ policy, attempt: 1, failure: status(500), nowMs: now, random: () => 0.5, ...partial });

describe('parseRetryAfterMs', () => {
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '1500' })).toBe(1500);
    expect(parseRetryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(parseRetryAfterMs({ 'retry-after': '0.5' })).toBe(500);
    expect(parseRetryAfterMs({ 'retry-after': new Date(now + 3000).toUTCString() }, now)).toBe(3000);
    expect(parseRetryAfterMs({ 'retry-after': new Date(now - 3000).toUTCString() }, now)).toBe(0);
  });
  it('prefers retry-after-ms and ignores nonsense', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '10', 'retry-after': '5' })).toBe(10);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' })).toBeUndefined(); // no clock
    expect(parseRetryAfterMs({})).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, undefined, () => 0))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect(backoffDelayMs({ ...policy, maxDelayMs: 1500 }, 5, undefined, () => 0)).toBe(1500);
  });
  it('full jitter stays within [0, exponential]', () => {
    const full = { ...policy, jitter: 'full' as const };
    expect(backoffDelayMs(full, 3, undefined, () => 0)).toBe(0);
    expect(backoffDelayMs(full, 3, undefined, () => 0.999)).toBeLessThanOrEqual(2000);
  });
  it('decorrelated jitter stays within [initial, 3 × previous], capped', () => {
    const dec = { ...policy, jitter: 'decorrelated' as const };
    expect(backoffDelayMs(dec, 2, 1000, () => 0)).toBe(500);
    expect(backoffDelayMs(dec, 2, 1000, () => 1)).toBe(3000);
    expect(backoffDelayMs(dec, 9, 20_000, () => 1)).toBe(30_000);
  });
});

describe('decideRetry', () => {
  it('retries the retryable statuses and connection failures', () => {
    for (const code of [408, 429, 500, 502, 503, 504, 524, 529])
      expect(decide({ failure: status(code) }).retry).toBe(true);
    for (const code of [400, 401, 403, 404, 413, 422]) {
      expect(decide({ failure: status(code) })).toMatchObject({ retry: false, reason: 'not-retryable' });
    }
    expect(decide({ failure: { kind: 'connection', code: 'ECONNRESET' } }).retry).toBe(true);
    expect(decide({ failure: { kind: 'connection', code: 'UND_ERR_SOCKET' } }).retry).toBe(true);
    expect(decide({ failure: { kind: 'connection', code: 'ECONNREFUSED' } }).retry).toBe(true);
    expect(decide({ failure: { kind: 'connection', code: 'UND_ERR_INVALID_ARG' } }).retry).toBe(false);
    expect(decide({ failure: { kind: 'abort' } }).retry).toBe(false);
    expect(decide({ failure: { kind: 'invalid-response' } }).retry).toBe(false);
  });

  it('retries attempt timeouts only when configured, never total timeouts', () => {
    expect(decide({ failure: { kind: 'timeout', scope: 'attempt' } }).retry).toBe(false);
    const lenient = { ...policy, retryOnTimeout: true };
    expect(decide({ policy: lenient, failure: { kind: 'timeout', scope: 'attempt' } }).retry).toBe(true);
    expect(decide({ policy: lenient, failure: { kind: 'timeout', scope: 'total' } }).retry).toBe(false);
  });

  it('is bounded in attempts', () => {
    expect(decide({ attempt: 2 }).retry).toBe(true);
    expect(decide({ attempt: 3 })).toMatchObject({ retry: false, reason: 'max-retries' });
    expect(decide({ policy: { ...policy, maxRetries: 0 } })).toMatchObject({
      retry: false,
      reason: 'max-retries',
    });
  });

  it('honours Retry-After exactly, beyond the backoff cap', () => {
    expect(decide({ failure: status(429, { 'retry-after': '45' }) })).toEqual({
      retry: true,
      delayMs: 45_000,
      source: 'retry-after',
    });
    expect(decide({ failure: status(503, { 'retry-after-ms': '20' }) })).toMatchObject({ delayMs: 20 });
  });

  it('gives up when Retry-After exceeds the remaining budget, reporting the wait', () => {
    expect(decide({ failure: status(429, { 'retry-after': '10' }), deadlineMs: now + 5000 })).toEqual({
      retry: false,
      reason: 'deadline',
      retryAfterMs: 10_000,
    });
    expect(decide({ failure: status(429, { 'retry-after': '600' }) })).toMatchObject({
      retry: false,
      reason: 'retry-after-too-long',
      retryAfterMs: 600_000,
    });
  });

  it('gives up when the backoff would overrun the budget', () => {
    expect(decide({ deadlineMs: now + 100 })).toMatchObject({ retry: false, reason: 'deadline' });
  });

  it('retries a 402 only for the in-flight budget with Retry-After', () => {
    expect(
      decide({ failure: status(402, { 'retry-after': '1' }, 'openrouter_in_flight_budget') }).retry,
    ).toBe(true);
    expect(decide({ failure: status(402, {}, 'openrouter_in_flight_budget') }).retry).toBe(false);
    expect(decide({ failure: status(402, { 'retry-after': '1' }, 'openrouter_credits') }).retry).toBe(false);
  });

  it('never retries once a 2xx response has begun', () => {
    expect(
      decide({ responseStarted: true, failure: { kind: 'connection', code: 'ECONNRESET' } }),
    ).toMatchObject({
      retry: false,
      reason: 'response-started',
    });
  });
});
