import type { ChatCompletionStream } from '../client/index.ts';
import type { MeteredCall } from '../metering/index.ts';
import type { ChatCompletionChunk } from '../shared/wire/index.ts';
import { endOfFailure, endOfStream } from './call-ends.ts';
import { type ChatResult, resultFromStream } from './chat-result.ts';

/** One piece of a streamed answer, in arrival order. */
export type StreamPart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | {
      type: 'tool-call';
      index: number;
      id: string | undefined;
      name: string | undefined;
      argumentsDelta: string;
    };

export interface StreamStart {
  call: MeteredCall<object>;
  upstream: ChatCompletionStream;
}

/**
 * A metered stream: iterate it for text, reasoning and tool-call parts; `result` resolves with
 * the usage and exact cost once the stream has ended and its ledger row is committed. Leaving the
 * loop early (break) or `cancel()` aborts the upstream call and records the row `cancelled`.
 */
export class TollgateStream implements AsyncIterable<StreamPart> {
  /** Usage, cost and ids, once the stream has ended and its row is committed. */
  readonly result: Promise<ChatResult>;
  readonly #abort = new AbortController();
  readonly #queue: StreamPart[] = [];
  #waiting: (() => void) | undefined;
  #ended = false;
  #failure: unknown;
  #cancelled = false;
  #iterated = false;

  constructor(start: (signal: AbortSignal) => Promise<StreamStart>, check: (result: ChatResult) => void) {
    this.result = this.#pump(start, check);
    // A caller who only iterates must not see an unhandled rejection from `result`.
    this.result.catch(() => undefined);
  }

  /** Stops the stream: aborts the upstream call (which stops generation and billing where the provider supports it). */
  cancel(): void {
    if (this.#ended) return;
    this.#cancelled = true;
    this.#abort.abort(new Error('stream cancelled by the caller'));
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamPart> {
    if (this.#iterated) throw new Error('A tollgate stream can be iterated only once');
    this.#iterated = true;
    return {
      next: async () => {
        while (this.#queue.length === 0 && !this.#ended) {
          await new Promise<void>((resolve) => {
            this.#waiting = resolve;
          });
        }
        const part = this.#queue.shift();
        if (part) return { value: part, done: false };
        if (this.#failure !== undefined) throw this.#failure;
        return { value: undefined, done: true };
      },
      return: async () => {
        this.cancel();
        await this.result.catch(() => undefined);
        return { value: undefined, done: true };
      },
    };
  }

  async #pump(start: (signal: AbortSignal) => Promise<StreamStart>, check: (result: ChatResult) => void) {
    let call: MeteredCall<object> | undefined;
    try {
      const started = await start(this.#abort.signal);
      call = started.call;
      for await (const chunk of started.upstream) this.#push(partsOf(chunk));
      const summary = await started.upstream.finalResult();
      const finished = await call.finish(endOfStream(summary));
      const result = resultFromStream(call.id, summary, finished);
      check(result);
      return result;
    } catch (error) {
      // `start` finishes its own row when the upstream call fails before streaming.
      if (call) await call.finish(endOfFailure(error, this.#cancelled));
      this.#failure = error;
      throw error;
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #push(parts: StreamPart[]): void {
    if (parts.length === 0) return;
    this.#queue.push(...parts);
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}

function partsOf(chunk: ChatCompletionChunk): StreamPart[] {
  const delta = chunk.choices?.[0]?.delta;
  if (!delta) return [];
  const parts: StreamPart[] = [];
  if (delta.reasoning) parts.push({ type: 'reasoning', text: delta.reasoning });
  if (delta.content) parts.push({ type: 'text', text: delta.content });
  for (const call of delta.tool_calls ?? []) {
    parts.push({
      type: 'tool-call',
      index: call.index,
      id: call.id ?? undefined,
      name: call.function?.name ?? undefined,
      argumentsDelta: call.function?.arguments ?? '',
    });
  }
  return parts;
}
