import type { Clock } from '../shared/clock.ts';
import { decodeSseStream, SseDecodeError } from '../shared/sse/decoder.ts';
import {
  type ChatCompletionChunk,
  ChatCompletionChunkSchema,
  type ErrorObject,
} from '../shared/wire/index.ts';
import {
  AbortError,
  type FinishReasonError,
  InvalidResponseError,
  StreamError,
  TimeoutError,
  TruncatedStreamError,
} from './client-errors.ts';
import { isOpenRouterError } from './error-guards.ts';
import type { OpenRouterError } from './errors.ts';
import { finishReasonError } from './finish-reason.ts';
import type { ResponseHeaders } from './headers.ts';
import type { OpenedStream } from './open-stream.ts';
import { bodyExcerpt, redactDeep } from './redact.ts';
import {
  type ChatStreamSummary,
  createStreamAccumulator,
  type StreamAccumulator,
} from './stream-accumulator.ts';
import { errorCode } from './transport.ts';

export interface ChatStreamDeps {
  opened: OpenedStream;
  clock: Clock;
  idleTimeoutMs: number;
  secrets: readonly string[];
  callerSignal: AbortSignal | undefined;
}

/** The final summary plus what the ledger needs about the exchange. */
export interface ChatStreamResult extends ChatStreamSummary {
  status: number;
  headers: ResponseHeaders;
  requestId: string | undefined;
  generationId: string | undefined;
  attempts: number;
  /** See ResponseMeta.earlierAttemptsMayHaveBilled. */
  earlierAttemptsMayHaveBilled: boolean;
  /** Call start to the end of the stream. */
  latencyMs: number;
  /** Set when finish_reason is length, content_filter or error. */
  finishReasonError: FinishReasonError | undefined;
}

/**
 * A started chat completion stream: iterate it once for typed chunks. Keep-alive comments are
 * skipped, `[DONE]` ends it, a mid-stream `error` chunk throws StreamError, an end without
 * `[DONE]` or usage throws TruncatedStreamError, and leaving the loop early (break, return, abort
 * signal, {@link abort}) closes the upstream connection, which stops generation and billing on
 * providers that support it. Never retried: by now OpenRouter has committed to this attempt.
 *
 * Until it ends, an opened stream holds its HTTP connection and, with a `limiter.maxConcurrent`,
 * its limiter slot, whether or not anyone reads it. It ends when the loop finishes or is left,
 * on {@link abort} or the caller's signal, or when `streamIdleTimeoutMs` passes without a chunk
 * reaching the consumer, counted from the opening: a stream nobody reads (or that is read only
 * later) is then closed with TimeoutError (scope `idle`), which `finalResult()` and the first
 * read throw. Read it at once, or `abort()` one you no longer want, to free the slot sooner.
 */
export class ChatCompletionStream implements AsyncIterable<ChatCompletionChunk> {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly requestId: string | undefined;
  readonly attempts: number;
  /** See ResponseMeta.earlierAttemptsMayHaveBilled. */
  readonly earlierAttemptsMayHaveBilled: boolean;
  readonly #deps: ChatStreamDeps;
  readonly #acc: StreamAccumulator;
  readonly #completion = Promise.withResolvers<ChatStreamResult>();
  #state: 'ready' | 'running' | 'settled' = 'ready';
  #iterated = false;
  #lastActivityMs: number;
  #idleFired = false;
  #abortedByCaller = false;
  readonly #stopIdle: () => void;

  constructor(deps: ChatStreamDeps) {
    this.#deps = deps;
    this.status = deps.opened.status;
    this.headers = deps.opened.headers;
    this.requestId = deps.opened.headers['x-request-id'];
    this.attempts = deps.opened.attempts;
    this.earlierAttemptsMayHaveBilled = deps.opened.earlierAttemptsMayHaveBilled;
    this.#acc = createStreamAccumulator(deps.opened.startedAtMs);
    this.#lastActivityMs = deps.clock.now();
    // Nobody may ever ask for the result; a rejection must not surface as unhandled.
    this.#completion.promise.catch(() => {});
    // From the moment the stream is open, not from the first read: a stream nobody reads would
    // otherwise hold its connection and its limiter slot for as long as it is referenced.
    this.#stopIdle = this.#watchIdle();
  }

  /** `X-Generation-Id` header, else the id of the first chunk. */
  get generationId(): string | undefined {
    return this.headers['x-generation-id'] ?? this.#acc.snapshot().id;
  }

  /** What has arrived so far (complete once the stream has ended). */
  get summary(): ChatStreamSummary {
    return this.#acc.snapshot();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.#iterated) throw new Error('A chat stream can be iterated only once');
    this.#iterated = true;
    if (this.#state === 'settled') return this.#closedBeforeRead();
    this.#state = 'running';
    return this.#run();
  }

  /** Resolves with the summary when the stream ends (draining it if nobody iterates); rejects with its error. */
  async finalResult(): Promise<ChatStreamResult> {
    if (this.#state === 'ready') {
      try {
        for await (const _chunk of this) {
          // Draining: the chunks are in the summary.
        }
      } catch {
        // Reported through the completion promise below.
      }
    }
    return this.#completion.promise;
  }

  /** Closes the upstream connection; a running loop throws AbortError. */
  abort(): void {
    if (this.#state === 'settled') return;
    this.#abortedByCaller = true;
    const error = new AbortError('Stream aborted', { attempts: this.attempts, partial: this.summary });
    this.#deps.opened.abort(error);
    if (this.#state === 'ready') this.#settle(error);
  }

  /** Closed (abort(), idle timeout) before anyone read it: the first read rejects with why. */
  #closedBeforeRead(): AsyncIterator<ChatCompletionChunk> {
    return { next: () => this.#completion.promise.then(() => ({ done: true, value: undefined })) };
  }

  async *#run(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { opened, clock } = this.#deps;
    try {
      for await (const item of decodeSseStream(opened.body)) {
        this.#lastActivityMs = clock.now();
        if (item.type === 'comment') {
          this.#acc.comment();
          continue;
        }
        if (item.data === '[DONE]') {
          // Stop here rather than wait for the server to close: the answer is complete, and a
          // peer that keeps the connection open after [DONE] must not hold the caller.
          this.#acc.done();
          break;
        }
        const chunk = this.#parse(item.data);
        this.#redactErrors(chunk);
        this.#acc.add(chunk, clock.now());
        if (chunk.error) {
          throw new StreamError(chunk.error, this.summary, {
            secrets: this.#deps.secrets,
            attempts: this.attempts,
          });
        }
        yield chunk;
      }
      const summary = this.summary;
      if (!summary.sawDone && !summary.usage)
        throw new TruncatedStreamError(summary, { attempts: this.attempts });
      this.#settle(undefined);
    } catch (error) {
      const mapped = this.#mapError(error);
      this.#settle(mapped);
      throw mapped;
    } finally {
      if (this.#state !== 'settled') {
        // The consumer left the loop early: close the upstream so generation (and billing) stops.
        const error = new AbortError('Stream closed by the consumer', {
          attempts: this.attempts,
          partial: this.summary,
        });
        opened.abort(error);
        this.#settle(error);
      }
    }
  }

  #parse(data: string): ChatCompletionChunk {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw this.#invalid('Stream chunk is not valid JSON', data);
    }
    const parsed = ChatCompletionChunkSchema.safeParse(json);
    if (!parsed.success) throw this.#invalid('Stream chunk does not match the chunk schema', data);
    return parsed.data;
  }

  /** Error objects end up in errors and logs: scrub secrets an upstream might have echoed. */
  #redactErrors(chunk: ChatCompletionChunk): void {
    const secrets = this.#deps.secrets;
    if (chunk.error) chunk.error = redactDeep(chunk.error, secrets) as ErrorObject;
    for (const choice of chunk.choices ?? []) {
      if (choice.error) choice.error = redactDeep(choice.error, secrets) as ErrorObject;
    }
  }

  #invalid(message: string, data: string): InvalidResponseError {
    return new InvalidResponseError(message, {
      status: this.status,
      reason: 'sse',
      excerpt: bodyExcerpt(data, this.#deps.secrets),
      attempts: this.attempts,
      partial: this.summary,
    });
  }

  #mapError(error: unknown): OpenRouterError {
    const partial = this.summary;
    const attempts = this.attempts;
    if (this.#idleFired) return new TimeoutError('idle', this.#deps.idleTimeoutMs, { attempts, partial });
    if (this.#abortedByCaller || this.#deps.callerSignal?.aborted) {
      return new AbortError('Stream aborted', { attempts, partial });
    }
    if (isOpenRouterError(error)) return error;
    if (error instanceof SseDecodeError) {
      return new InvalidResponseError(error.message, {
        status: this.status,
        reason: 'sse',
        excerpt: '',
        attempts,
        partial,
      });
    }
    // The connection failed after the stream began: what arrived is all there is.
    return new TruncatedStreamError(partial, { causeCode: errorCode(error), attempts });
  }

  #settle(error: OpenRouterError | undefined): void {
    if (this.#state === 'settled') return;
    this.#state = 'settled';
    this.#stopIdle();
    this.#deps.opened.release();
    if (error) {
      this.#completion.reject(error);
      return;
    }
    const summary = this.summary;
    this.#completion.resolve({
      ...summary,
      status: this.status,
      headers: this.headers,
      requestId: this.requestId,
      generationId: this.generationId,
      attempts: this.attempts,
      earlierAttemptsMayHaveBilled: this.earlierAttemptsMayHaveBilled,
      latencyMs: this.#deps.clock.now() - this.#deps.opened.startedAtMs,
      finishReasonError: finishReasonError({
        finishReason: summary.finishReason,
        nativeFinishReason: summary.nativeFinishReason,
        choiceError: summary.error,
        generationId: this.generationId,
        attempts: this.attempts,
      }),
    });
  }

  /**
   * Aborts the stream when no chunk reached the consumer for idleTimeoutMs, counted from the
   * opening (so a stream nobody reads is closed too); one timer, re-armed only when it fires.
   */
  #watchIdle(): () => void {
    const { clock, idleTimeoutMs, opened } = this.#deps;
    const stop = new AbortController();
    const loop = async () => {
      let wait = idleTimeoutMs;
      while (!stop.signal.aborted) {
        try {
          await clock.sleep(wait, stop.signal);
        } catch {
          return;
        }
        const silentMs = clock.now() - this.#lastActivityMs;
        if (silentMs >= idleTimeoutMs) {
          this.#idleFired = true;
          const error = new TimeoutError('idle', idleTimeoutMs, {
            attempts: this.attempts,
            partial: this.summary,
          });
          opened.abort(error);
          // A running loop settles as its read fails; a stream nobody reads settles here.
          if (this.#state === 'ready') this.#settle(error);
          return;
        }
        wait = idleTimeoutMs - silentMs;
      }
    };
    void loop();
    return () => stop.abort();
  }
}
