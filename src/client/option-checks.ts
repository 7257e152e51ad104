import type { LimiterOptions } from './limiter.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { ClientOptions, RequestOptions } from './types.ts';

/**
 * A client option or per-call option that cannot work. Always thrown before anything is sent, so
 * it carries the two facts a cost ledger reads from an OpenRouterError: no attempt, nothing billed.
 */
export class ClientConfigError extends Error {
  readonly code = 'client_config';
  readonly attempts = 0;
  readonly mayHaveBilled = false;
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

/**
 * The longest delay Node's timers accept (about 24.8 days): a longer one, like 0, a negative
 * number or NaN, fires at once with only a process warning, so such a deadline would end the call
 * immediately instead of never.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Per-call options: checked once, before the call waits for the limiter or sends anything. */
export function checkRequestOptions(options: RequestOptions): void {
  checkTimeout(options.timeoutMs, 'timeoutMs', 'per call');
  checkTimeout(options.totalTimeoutMs, 'totalTimeoutMs', 'per call');
  checkRetries(options.maxRetries, 'maxRetries', 'per call');
  checkHeaders(options.headers, 'per call');
}

/** Client options: checked when the client is created, so a bad one fails at start-up. */
export function checkClientOptions(options: ClientOptions): void {
  checkTimeout(options.timeoutMs, 'timeoutMs', 'client');
  checkTimeout(options.totalTimeoutMs, 'totalTimeoutMs', 'client');
  checkTimeout(options.streamIdleTimeoutMs, 'streamIdleTimeoutMs', 'client');
  checkRetries(options.maxRetries, 'maxRetries', 'client');
  if (options.retry) checkRetryPolicy(options.retry);
  checkHeaders(options.headers, 'client');
  if (options.limiter) checkLimiter(options.limiter);
}

type Scope = 'client' | 'per call';

function checkTimeout(value: unknown, name: string, scope: Scope): void {
  if (value === undefined) return;
  if (typeof value === 'number' && value > 0 && value <= MAX_TIMEOUT_MS) return;
  throw new ClientConfigError(
    `${name} (${scope}) must be a number of milliseconds greater than 0 and at most ${MAX_TIMEOUT_MS} ` +
      `(about 24.8 days), got ${describe(value)}. ${scope === 'client' ? 'Leave it out for the default.' : "Leave it out for the client's setting."}`,
  );
}

function checkRetries(value: unknown, name: string, scope: Scope): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return;
  throw new ClientConfigError(
    `${name} (${scope}) must be a whole number of retries, 0 or more, got ${describe(value)}.`,
  );
}

/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Header values must be printable ASCII (tab allowed). undici refuses control characters and
 * anything above U+00FF, and sends U+0080–U+00FF as single Latin-1 bytes that a UTF-8 reader
 * (OpenRouter) turns into other text, so every non-ASCII character is refused here, with the fix.
 */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

function checkHeaders(headers: unknown, scope: Scope): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null) {
    throw new ClientConfigError(
      `headers (${scope}) must be an object of name → string, got ${describe(headers)}.`,
    );
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new ClientConfigError(
        `headers (${scope}): ${JSON.stringify(name.slice(0, 100))} is not a valid header name ` +
          "(letters, digits and !#$%&'*+-.^_`|~ only, no spaces or colons).",
      );
    }
    // Left out by the transport, as when the header is absent.
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new ClientConfigError(`headers (${scope}): ${name} must be a string, got ${describe(value)}.`);
    }
    if (!HEADER_VALUE.test(value)) throw badHeaderValue(name, value, scope);
  }
}

/** Names the header and the first bad character, never the value: it may be a credential. */
function badHeaderValue(name: string, value: string, scope: Scope): ClientConfigError {
  let index = 0;
  for (const char of value) {
    if (!HEADER_VALUE.test(char)) break;
    index += char.length;
  }
  const codePoint = value.codePointAt(index) ?? 0;
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const fix =
    codePoint < 0x20 || codePoint === 0x7f
      ? 'remove control characters such as line breaks'
      : 'encode other text first, e.g. with encodeURIComponent(value)';
  return new ClientConfigError(
    `headers (${scope}): the value of ${name} has character ${code} at index ${index}; HTTP header ` +
      `values must be printable ASCII: ${fix}.`,
  );
}

const JITTER_MODES: readonly string[] = ['full', 'decorrelated', 'none'];

/** The backoff's numbers: a NaN or negative delay would retry at once, forever within maxRetries. */
function checkRetryPolicy(retry: Partial<RetryPolicy>): void {
  checkRetries(retry.maxRetries, 'retry.maxRetries', 'client');
  for (const name of ['initialDelayMs', 'maxDelayMs'] as const) {
    const value = retry[name];
    if (value === undefined || (typeof value === 'number' && value >= 0 && value <= MAX_TIMEOUT_MS)) continue;
    throw new ClientConfigError(
      `retry.${name} (client) must be a number of milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${describe(value)}.`,
    );
  }
  const multiplier = retry.multiplier;
  if (multiplier !== undefined && !(Number.isFinite(multiplier) && multiplier >= 1)) {
    throw new ClientConfigError(
      `retry.multiplier (client) must be a number of 1 or more (2 doubles each delay), got ${describe(multiplier)}.`,
    );
  }
  if (retry.jitter !== undefined && !JITTER_MODES.includes(retry.jitter)) {
    throw new ClientConfigError(
      `retry.jitter (client) must be one of ${JITTER_MODES.join(', ')}, got ${describe(retry.jitter)}.`,
    );
  }
  const statuses: unknown = retry.retryStatuses;
  if (
    statuses !== undefined &&
    !(
      Array.isArray(statuses) &&
      statuses.every((status) => Number.isInteger(status) && status >= 100 && status <= 599)
    )
  ) {
    throw new ClientConfigError(
      `retry.retryStatuses (client) must be a list of HTTP status codes (e.g. [429, 503]), got ${describe(statuses)}.`,
    );
  }
}

function checkLimiter(limiter: LimiterOptions): void {
  const { requestsPerMinute, burst, maxConcurrent } = limiter;
  if (requestsPerMinute !== undefined && !(Number.isFinite(requestsPerMinute) && requestsPerMinute > 0)) {
    throw new ClientConfigError(
      `limiter.requestsPerMinute (client) must be a number greater than 0, got ${describe(requestsPerMinute)}. Leave it out for no rate limit.`,
    );
  }
  if (burst !== undefined && !(Number.isFinite(burst) && burst > 0)) {
    throw new ClientConfigError(
      `limiter.burst (client) must be a number greater than 0, got ${describe(burst)}.`,
    );
  }
  // 0 (or NaN) would queue every call forever.
  if (maxConcurrent !== undefined && !(Number.isInteger(maxConcurrent) && maxConcurrent >= 1)) {
    throw new ClientConfigError(
      `limiter.maxConcurrent (client) must be a whole number, 1 or more, got ${describe(maxConcurrent)}. Leave it out for no limit.`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 50));
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
