import type { ErrorObject } from '../shared/wire/index.ts';
import { OpenRouterError } from './error-base.ts';
import { redactDeep, redactSecrets } from './redact.ts';
import type { ChatStreamSummary } from './stream-accumulator.ts';

/** The request never got an HTTP response: connect failure, reset, socket closed early. */
export class ConnectionError extends OpenRouterError {
  /** The system or undici error code (ECONNRESET, UND_ERR_SOCKET, ...). */
  readonly causeCode: string | undefined;
  /**
   * Set when the connection broke while a 2xx body was arriving: OpenRouter had finished (and
   * billed) the request, so it is not retried; `generationId` lets the ledger reconcile it.
   */
  readonly responseStatus: number | undefined;
  readonly generationId: string | undefined;
  constructor(
    message: string,
    options: {
      causeCode?: string | undefined;
      attempts?: number;
      cause?: unknown;
      responseStatus?: number | undefined;
      generationId?: string | undefined;
    } = {},
  ) {
    super(message, 'connection_error', 'connection', options);
    this.name = 'ConnectionError';
    this.causeCode = options.causeCode;
    this.responseStatus = options.responseStatus;
    this.generationId = options.generationId;
    this.mayHaveBilled =
      options.responseStatus !== undefined || !NEVER_CONNECTED.has(options.causeCode ?? '');
  }
}

/** Failures that mean the request never reached OpenRouter: no connection was ever made. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A deadline passed. `scope`: `attempt` (one HTTP attempt, `timeoutMs`), `total` (the whole call
 * with retries, `totalTimeoutMs`) or `idle` (a started stream went silent for `streamIdleTimeoutMs`).
 */
export class TimeoutError extends OpenRouterError {
  readonly scope: 'attempt' | 'total' | 'idle';
  readonly timeoutMs: number;
  /** For streams: what had arrived before the deadline. */
  readonly partial: ChatStreamSummary | undefined;
  constructor(
    scope: 'attempt' | 'total' | 'idle',
    timeoutMs: number,
    options: { attempts?: number; partial?: ChatStreamSummary | undefined } = {},
  ) {
    const what = scope === 'attempt' ? 'Attempt' : scope === 'total' ? 'Call' : 'Stream idle';
    super(`${what} timed out after ${timeoutMs} ms`, 'timeout', 'timeout', options);
    this.name = 'TimeoutError';
    this.scope = scope;
    this.timeoutMs = timeoutMs;
    this.partial = options.partial;
  }
}

/** The caller aborted (signal, `break` out of a stream, `stream.abort()`). */
export class AbortError extends OpenRouterError {
  readonly partial: ChatStreamSummary | undefined;
  constructor(message = 'Request aborted', options: { attempts?: number; partial?: ChatStreamSummary } = {}) {
    super(message, 'aborted', 'abort', options);
    this.name = 'AbortError';
    this.partial = options.partial;
  }
}

/** A response that could not be understood: invalid JSON, a schema mismatch, a broken SSE frame. */
export class InvalidResponseError extends OpenRouterError {
  readonly status: number;
  readonly reason: 'json' | 'schema' | 'sse';
  /** A short, redacted excerpt of what was received. */
  readonly excerpt: string;
  readonly partial: ChatStreamSummary | undefined;
  constructor(
    message: string,
    fields: {
      status: number;
      reason: 'json' | 'schema' | 'sse';
      excerpt: string;
      attempts?: number;
      partial?: ChatStreamSummary;
    },
  ) {
    super(message, 'invalid_response', 'response', fields);
    this.name = 'InvalidResponseError';
    this.status = fields.status;
    this.reason = fields.reason;
    this.excerpt = fields.excerpt;
    this.partial = fields.partial;
  }
}

/** §5.5: an `error` chunk inside a 200 stream. Carries everything received before it. */
export class StreamError extends OpenRouterError {
  /** `error.code`: usually the HTTP-like status as a number. */
  readonly errorCode: number | string | undefined;
  readonly errorType: string | undefined;
  readonly metadata: Record<string, unknown> | undefined;
  readonly providerName: string | undefined;
  readonly generationId: string | undefined;
  readonly partial: ChatStreamSummary;
  readonly userMessage: string;
  constructor(
    error: ErrorObject,
    partial: ChatStreamSummary,
    options: { secrets?: readonly string[]; attempts?: number } = {},
  ) {
    const secrets = options.secrets ?? [];
    const message = redactSecrets(error.message ?? 'Stream failed', secrets).slice(0, 500);
    super(
      `Stream error${error.code === undefined ? '' : ` ${error.code}`}: ${message}`,
      'stream_error',
      'stream',
      options,
    );
    this.name = 'StreamError';
    this.errorCode = error.code ?? undefined;
    this.metadata = error.metadata
      ? (redactDeep(error.metadata, secrets) as Record<string, unknown>)
      : undefined;
    const errorType = this.metadata?.error_type;
    this.errorType = typeof errorType === 'string' ? errorType : undefined;
    this.providerName = partial.provider;
    this.generationId = partial.id;
    this.partial = partial;
    this.userMessage = 'The AI response failed part-way through. Please try again.';
  }
}

/** The stream ended (or the connection dropped) before `[DONE]` and before the usage chunk. */
export class TruncatedStreamError extends OpenRouterError {
  readonly partial: ChatStreamSummary;
  readonly causeCode: string | undefined;
  constructor(
    partial: ChatStreamSummary,
    options: { causeCode?: string | undefined; attempts?: number } = {},
  ) {
    const why = options.causeCode ? ` (${options.causeCode})` : '';
    super(
      `Stream ended before [DONE] after ${partial.chunkCount} chunks${why}`,
      'stream_truncated',
      'stream',
      options,
    );
    this.name = 'TruncatedStreamError';
    this.partial = partial;
    this.causeCode = options.causeCode;
  }
}

/**
 * A completion that "succeeded" with `finish_reason` length, content_filter or error. The client
 * returns it on results instead of throwing; a higher layer throws it when it wants strictness.
 */
export class FinishReasonError extends OpenRouterError {
  readonly finishReason: 'length' | 'content_filter' | 'error';
  readonly nativeFinishReason: string | null;
  /** §6.5(3): the choice's in-band error, when one was sent. */
  readonly choiceError: ErrorObject | undefined;
  readonly generationId: string | undefined;
  readonly userMessage: string;
  constructor(fields: {
    finishReason: 'length' | 'content_filter' | 'error';
    nativeFinishReason: string | null;
    choiceError?: ErrorObject | undefined;
    generationId?: string | undefined;
    attempts?: number;
  }) {
    super(`Completion finished with "${fields.finishReason}"`, 'finish_reason', 'finish_reason', fields);
    this.name = 'FinishReasonError';
    this.finishReason = fields.finishReason;
    this.nativeFinishReason = fields.nativeFinishReason;
    this.choiceError = fields.choiceError;
    this.generationId = fields.generationId;
    this.userMessage =
      fields.finishReason === 'length'
        ? 'The AI response was cut off because it reached its length limit.'
        : fields.finishReason === 'content_filter'
          ? 'The AI response was withheld by a content filter.'
          : 'The AI model failed while generating the response.';
  }
}
