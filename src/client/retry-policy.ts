/**
 * When to retry and how long to wait: pure functions of the failure, the headers, the clock
 * reading and a random source, so every rule is tested without I/O or real time.
 */

export type JitterMode = 'full' | 'decorrelated' | 'none';

export interface RetryPolicy {
  /** Retries after the first attempt. @default 2 */
  maxRetries: number;
  /** Base of the exponential backoff. @default 500 */
  initialDelayMs: number;
  /** Cap on one computed backoff delay (a server's Retry-After is not capped by it). @default 30_000 */
  maxDelayMs: number;
  /** @default 2 */
  multiplier: number;
  /**
   * `full`: uniform in [0, base·multiplier^n]; `decorrelated`: uniform in [initial, 3·previous]
   * (AWS "decorrelated jitter"); `none`: the exponential value itself. @default 'full'
   */
  jitter: JitterMode;
  /** @default [408, 429, 500, 502, 503, 504, 524, 529] */
  retryStatuses: readonly number[];
  /** A Retry-After longer than this is not waited for: the error is thrown with its retryAfterMs. @default 120_000 */
  maxRetryAfterMs: number;
  /** Retry after an attempt timed out. Off by default: the upstream may still be generating (and billing). @default false */
  retryOnTimeout: boolean;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 'full',
  retryStatuses: Object.freeze([408, 429, 500, 502, 503, 504, 524, 529]),
  maxRetryAfterMs: 120_000,
  retryOnTimeout: false,
});

/** Connection failures worth retrying: the request most likely never reached a handler. */
const RETRYABLE_CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isRetryableConnectionCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_CONNECTION_CODES.has(code);
}

export type RetryFailure =
  | {
      kind: 'status';
      status: number;
      headers: Readonly<Record<string, string>>;
      limitSource?: string | undefined;
    }
  | { kind: 'connection'; code: string | undefined }
  | { kind: 'timeout'; scope: 'attempt' | 'total' | 'idle' }
  | { kind: 'abort' }
  | { kind: 'invalid-response' };

export interface RetryInput {
  policy: RetryPolicy;
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  failure: RetryFailure;
  nowMs: number;
  /** End of the total time budget, if any. */
  deadlineMs?: number | undefined;
  /** The delay used before this attempt (decorrelated jitter grows from it). */
  previousDelayMs?: number | undefined;
  /** Uniform in [0, 1). */
  random: () => number;
  /**
   * A 2xx response had begun (a stream's first byte, or a JSON body cut off mid-way): OpenRouter
   * has committed to, and may bill, that attempt, so it is never retried.
   */
  responseStarted?: boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number; source: 'retry-after' | 'backoff' }
  | {
      retry: false;
      reason: 'not-retryable' | 'max-retries' | 'deadline' | 'retry-after-too-long' | 'response-started';
      /** The server's requested wait, when it asked for one. */
      retryAfterMs?: number | undefined;
    };

export function decideRetry(input: RetryInput): RetryDecision {
  const { policy, failure } = input;
  if (input.responseStarted) return { retry: false, reason: 'response-started' };
  const retryAfterMs =
    failure.kind === 'status' ? parseRetryAfterMs(failure.headers, input.nowMs) : undefined;
  if (!isRetryableFailure(policy, failure, retryAfterMs))
    return { retry: false, reason: 'not-retryable', retryAfterMs };
  if (input.attempt > policy.maxRetries) return { retry: false, reason: 'max-retries', retryAfterMs };
  const remaining =
    input.deadlineMs === undefined ? Number.POSITIVE_INFINITY : input.deadlineMs - input.nowMs;
  if (retryAfterMs !== undefined) {
    // If the API asks us to wait a certain time, do what it says, or give up with its number.
    if (retryAfterMs > policy.maxRetryAfterMs)
      return { retry: false, reason: 'retry-after-too-long', retryAfterMs };
    if (retryAfterMs >= remaining) return { retry: false, reason: 'deadline', retryAfterMs };
    return { retry: true, delayMs: retryAfterMs, source: 'retry-after' };
  }
  const delayMs = backoffDelayMs(policy, input.attempt, input.previousDelayMs, input.random);
  if (delayMs >= remaining) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs, source: 'backoff' };
}

function isRetryableFailure(
  policy: RetryPolicy,
  failure: RetryFailure,
  retryAfterMs: number | undefined,
): boolean {
  switch (failure.kind) {
    case 'status':
      // §6.6: a 402 is transient only for the in-flight budget, and only when told when to come back.
      if (failure.status === 402) {
        return failure.limitSource === 'openrouter_in_flight_budget' && retryAfterMs !== undefined;
      }
      return policy.retryStatuses.includes(failure.status);
    case 'connection':
      return isRetryableConnectionCode(failure.code);
    case 'timeout':
      return failure.scope === 'attempt' && policy.retryOnTimeout;
    default:
      return false;
  }
}

/** Exponential backoff for the `attempt`-th failure (1-based), jittered per the policy. */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  previousDelayMs: number | undefined,
  random: () => number,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  switch (policy.jitter) {
    case 'none':
      return Math.round(exponential);
    case 'full':
      return Math.round(random() * exponential);
    case 'decorrelated': {
      const previous = Math.max(policy.initialDelayMs, previousDelayMs ?? policy.initialDelayMs);
      const upper = Math.min(policy.maxDelayMs, previous * 3);
      return Math.round(policy.initialDelayMs + random() * Math.max(0, upper - policy.initialDelayMs));
    }
  }
}

/**
 * The wait a response asks for: `retry-after-ms` (milliseconds), else `retry-after` as seconds or
 * as an HTTP date (needs `nowMs`). Names must be lower-case. Nonsense values are ignored.
 */
export function parseRetryAfterMs(
  headers: Readonly<Record<string, string | undefined>>,
  nowMs?: number,
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  if (nowMs === undefined) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function resolveRetryPolicy(
  overrides: Partial<RetryPolicy> | undefined,
  maxRetries?: number,
): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (maxRetries !== undefined) policy.maxRetries = maxRetries;
  return policy;
}
