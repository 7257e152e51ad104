import type { UsageLike } from '../pricing/index.ts';
import { eventData, hasCarriageReturn, lastEventEnd, nextEventEnd } from './sse-framing.ts';

/** What the side reader learned from a chat stream, for metering. */
export interface StreamFacts {
  id: string | undefined;
  model: string | undefined;
  provider: string | undefined;
  usage: UsageLike | undefined;
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** A mid-stream error event (§5.5), as OpenRouter sent it: internal detail. */
  error: UpstreamStreamError | undefined;
  sawDone: boolean;
}

export interface UpstreamStreamError {
  code: number | string | undefined;
  message: string;
  errorType: string | undefined;
}

/** Rewrites an upstream error event into the one the caller may see (no provider payload). */
export type ErrorEventCleaner = (chunk: Record<string, unknown>, error: UpstreamStreamError) => string;

/**
 * The gateway's stream relay: upstream bytes go to the caller as they arrive, cut only at event
 * boundaries, untouched — except that `data: [DONE]` (and anything after it) is held back until
 * the ledger row is committed, and an upstream error event is replaced by a clean one. A side
 * reader looks at the same complete events for id, model, provider, usage, finish reason and
 * errors. It is the hot path, so it is cheap: a byte search decides whether a run of events can
 * carry anything of interest (the first event, usage, a finish reason, an error, [DONE]), and
 * only those events are split and JSON-parsed; the rest of a long stream is never decoded.
 */
export class StreamRelay {
  readonly facts: StreamFacts = {
    id: undefined,
    model: undefined,
    provider: undefined,
    usage: undefined,
    finishReason: null,
    nativeFinishReason: null,
    error: undefined,
    sawDone: false,
  };
  readonly #cleanError: ErrorEventCleaner;
  #sawFirstEvent = false;
  #tail: Buffer | undefined;
  #held: Buffer[] | undefined;

  constructor(cleanError: ErrorEventCleaner) {
    this.#cleanError = cleanError;
  }

  /** Takes the next upstream bytes; returns what may be written to the caller now (maybe nothing). */
  push(chunk: Buffer): Buffer | undefined {
    if (this.#held) {
      this.#held.push(chunk);
      return undefined;
    }
    const bytes = this.#tail ? Buffer.concat([this.#tail, chunk]) : chunk;
    const carriageReturns = hasCarriageReturn(bytes);
    const end = lastEventEnd(bytes, carriageReturns);
    if (end === 0) {
      this.#tail = bytes;
      return undefined;
    }
    this.#tail = end < bytes.length ? bytes.subarray(end) : undefined;
    const complete = end === bytes.length ? bytes : bytes.subarray(0, end);
    const marks = this.#observe(complete, carriageReturns);
    if (!marks.done && !marks.error) return complete;
    return this.#inspectEvents(complete, carriageReturns);
  }

  /** At the end of the upstream body: the held bytes (`[DONE]`, a partial tail), to send after the commit. */
  drain(): Buffer {
    // A server may close right after its last event's data line, without the blank line.
    if (this.#tail && !this.#held) this.#observe(this.#tail, hasCarriageReturn(this.#tail));
    const rest = [...(this.#held ?? []), ...(this.#tail ? [this.#tail] : [])];
    this.#held = undefined;
    this.#tail = undefined;
    return Buffer.concat(rest);
  }

  /** True when the stream ended properly: `[DONE]`, or at least the final usage frame. */
  get complete(): boolean {
    return this.facts.sawDone || this.facts.usage !== undefined;
  }

  #inspectEvents(complete: Buffer, carriageReturns: boolean): Buffer | undefined {
    const out: Buffer[] = [];
    let start = 0;
    while (start < complete.length) {
      const end = nextEventEnd(complete, start, carriageReturns);
      const eventBytes = complete.subarray(start, end === -1 ? complete.length : end);
      start = end === -1 ? complete.length : end;
      const data = eventData(eventBytes.toString('utf8'));
      if (data?.trim() === '[DONE]') {
        this.#held = [eventBytes, complete.subarray(start), ...(this.#tail ? [this.#tail] : [])];
        this.#tail = undefined;
        break;
      }
      const cleaned = data?.includes('"error"') ? this.#cleaned(data) : undefined;
      out.push(cleaned === undefined ? eventBytes : Buffer.from(cleaned));
    }
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  #cleaned(data: string): string | undefined {
    const chunk = parseObject(data);
    const error = chunk && upstreamError(chunk.error);
    return chunk && error ? this.#cleanError(chunk, error) : undefined;
  }

  /**
   * Looks at complete events, decoding only runs of them that can carry a fact. Returns whether
   * they hold `[DONE]` or an error, which the caller must then treat event by event.
   */
  #observe(events: Buffer, carriageReturns: boolean): { done: boolean; error: boolean } {
    const done = events.indexOf('[DONE]') !== -1;
    const error = events.indexOf('"error"') !== -1;
    const interesting =
      done ||
      error ||
      !this.#sawFirstEvent ||
      events.indexOf('"usage"') !== -1 ||
      events.indexOf('"finish_reason":"') !== -1 ||
      events.indexOf('"finish_reason": "') !== -1;
    if (!interesting) return { done, error };
    let start = 0;
    while (start < events.length) {
      const end = nextEventEnd(events, start, carriageReturns);
      const data = eventData(events.toString('utf8', start, end === -1 ? events.length : end));
      start = end === -1 ? events.length : end;
      if (data !== undefined) this.#observeData(data);
    }
    return { done, error };
  }

  #observeData(data: string): void {
    const facts = this.facts;
    if (data.trim() === '[DONE]') {
      facts.sawDone = true;
      return;
    }
    const first = !this.#sawFirstEvent;
    this.#sawFirstEvent = true;
    const interesting =
      first || data.includes('"usage"') || data.includes('"error"') || /"finish_reason":\s*"/.test(data);
    if (!interesting) return;
    const chunk = parseObject(data);
    if (!chunk) return;
    facts.id ??= stringOf(chunk.id);
    facts.model ??= stringOf(chunk.model);
    facts.provider ??= stringOf(chunk.provider);
    if (typeof chunk.usage === 'object' && chunk.usage !== null) facts.usage = chunk.usage as UsageLike;
    const choice = Array.isArray(chunk.choices)
      ? (chunk.choices[0] as Record<string, unknown> | undefined)
      : undefined;
    const finish = stringOf(choice?.finish_reason);
    if (finish) {
      facts.finishReason = finish;
      facts.nativeFinishReason = stringOf(choice?.native_finish_reason) ?? facts.nativeFinishReason;
    }
    facts.error ??= upstreamError(chunk.error);
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function upstreamError(value: unknown): UpstreamStreamError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const error = value as Record<string, unknown>;
  const metadata =
    typeof error.metadata === 'object' && error.metadata !== null
      ? (error.metadata as Record<string, unknown>)
      : {};
  return {
    code: typeof error.code === 'number' || typeof error.code === 'string' ? error.code : undefined,
    message: typeof error.message === 'string' ? error.message : 'stream error',
    errorType: stringOf(metadata.error_type),
  };
}
