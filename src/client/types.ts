import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.ts';
import type { OpenRouterError } from './errors.ts';
import type { ResponseHeaders } from './headers.ts';
import type { LimiterOptions } from './limiter.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { OpenRouterTransport } from './transport.ts';

/**
 * Per-call overrides. Durations are milliseconds in (0, 2^31 - 1], retries a whole number ≥ 0,
 * header values printable ASCII: anything else rejects with ClientConfigError before the call
 * waits for the limiter or sends anything (`attempts` 0, `mayHaveBilled` false).
 */
export interface RequestOptions {
  /** Aborts the call (queued, in flight, between retries, or a running stream). */
  signal?: AbortSignal | undefined;
  /** Per attempt; for streams, until the response headers. */
  timeoutMs?: number | undefined;
  /** Whole call including retries and their delays; for streams, until the stream has started. */
  totalTimeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  /** Extra request headers (e.g. `x-session-id`, `X-OpenRouter-Metadata: enabled`). */
  headers?: Record<string, string> | undefined;
}

/** What the ledger needs about the HTTP exchange behind a result. */
export interface ResponseMeta {
  /** HTTP status of the attempt that produced the result. */
  status: number;
  /** All response headers of that attempt, names lower-cased. */
  headers: ResponseHeaders;
  /** `x-request-id`, when the response carries one. */
  requestId: string | undefined;
  /** `X-Generation-Id`, else the body's `gen-…` id. */
  generationId: string | undefined;
  /** HTTP attempts made (1 = no retry). */
  attempts: number;
  /**
   * True when an attempt before the one that answered failed after its request may have reached
   * OpenRouter (a broken connection, a timeout): OpenRouter may have billed that attempt too, and
   * its cost is in no usage or generation id this result carries.
   */
  earlierAttemptsMayHaveBilled: boolean;
  /** From the start of the call (limiter wait and retries included) to the parsed body. */
  latencyMs: number;
}

/**
 * Every endpoint function resolves to one of these. `body` is the parsed response as sent;
 * `data` is its payload: the `data` member for responses that are only an envelope
 * (`{data: …}`: models, keys, credits, generation…), else the body. An embeddings response is a
 * body of its own (its `data` list beside `model` and `usage`), so its `data` is the whole body.
 */
export interface ApiResult<TBody, TData = TBody> extends ResponseMeta {
  body: TBody;
  data: TData;
}

/** Reported after every HTTP attempt, successful or not. */
export interface AttemptInfo {
  /** 1-based. */
  attempt: number;
  method: string;
  path: string;
  /** The HTTP status, when a response arrived. */
  status: number | undefined;
  /** The failure, when the attempt failed. */
  error: OpenRouterError | undefined;
  durationMs: number;
  /** Whether another attempt follows, and after how long. */
  willRetry: boolean;
  delayMs: number | undefined;
}

export interface ClientOptions {
  /**
   * Optional: public endpoints work without it. The client never reads the environment itself:
   * `resolveClientOptions(options, process.env)` (or `loadClientOptions`) fills it from
   * OPENROUTER_API_KEY, then `.env`.
   */
  apiKey?: string | undefined;
  /**
   * @default https://openrouter.ai/api/v1 (`resolveClientOptions` / `loadClientOptions` take
   * OPENROUTER_BASE_URL, then `.env`, first)
   */
  baseUrl?: string | undefined;
  /** Per attempt. @default 600_000 */
  timeoutMs?: number | undefined;
  /** Whole call including retries. @default 900_000 */
  totalTimeoutMs?: number | undefined;
  /**
   * Longest time a chat stream may go without a chunk reaching its consumer, counted from its
   * opening: a stream that is never read is closed after it too (TimeoutError, scope `idle`),
   * freeing its connection and limiter slot. @default 300_000
   */
  streamIdleTimeoutMs?: number | undefined;
  /** Shorthand for `retry.maxRetries`. @default 2 */
  maxRetries?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /**
   * Sent on every request: HTTP-Referer, X-OpenRouter-Title, ... Values must be printable ASCII
   * (encode other text, e.g. with encodeURIComponent); `createOpenRouterClient` throws
   * ClientConfigError otherwise, as for a timeout that is not in (0, 2^31 - 1] ms.
   */
  headers?: Record<string, string> | undefined;
  /**
   * Most connections the client's keep-alive pool opens to OpenRouter; `null` means no limit
   * (a gateway holding thousands of streams needs one connection per stream). @default 128
   */
  connections?: number | null | undefined;
  /** undici dispatcher to use instead of the client's own keep-alive Pool. */
  dispatcher?: Dispatcher | undefined;
  /**
   * A transport to share (e.g. with a gateway's proxy). It carries its own key and base URL, and
   * `close()` leaves it open: its creator owns it. `dispatcher` and `headers` are then ignored.
   */
  transport?: OpenRouterTransport | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** Uniform in [0, 1) for backoff jitter. @default Math.random */
  random?: (() => number) | undefined;
  /** Optional client-side rate/concurrency limiter. */
  limiter?: LimiterOptions | undefined;
  onAttempt?: ((info: AttemptInfo) => void) | undefined;
}
