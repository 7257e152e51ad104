import { parseJsonObjectText } from '../../shared/json-object.ts';
import { eventData, hasCarriageReturn, lastEventEnd, nextEventEnd } from '../sse-framing.ts';
import type { StreamFacts, UpstreamStreamError } from '../stream-relay.ts';
import type { EventReader } from './dialect.ts';

/** Rewrites an upstream error event into one the caller may see. */
export type NamedErrorCleaner = (
  name: string,
  data: Record<string, unknown>,
  error: UpstreamStreamError,
) => string;

/**
 * The relay for streams of named events (`event: <name>` then `data: <json>`): the Responses and
 * Messages dialects. Like the chat relay (stream-relay.ts), upstream bytes go to the caller as
 * they arrive, cut at event boundaries and otherwise untouched; an error event is replaced by a
 * clean one; and the stream's terminal event (with everything after it) is held until the ledger
 * row is committed. Only the events the dialect wants are decoded; their name is read from the
 * `event:` line, so the deltas of a long answer are never parsed.
 */
export class NamedEventRelay {
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
  readonly #reader: EventReader;
  readonly #cleanError: NamedErrorCleaner;
  #tail: Buffer | undefined;
  /** From the terminal event on: sent after the commit. */
  #held: Buffer[] | undefined;

  constructor(reader: EventReader, cleanError: NamedErrorCleaner) {
    this.#reader = reader;
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
    return this.#relay(end === bytes.length ? bytes : bytes.subarray(0, end), carriageReturns);
  }

  /** At the end of the upstream body: what is held (the terminal event, a partial tail), to send after the commit. */
  drain(): Buffer {
    // A server may close right after its last event's data line, without the blank line.
    if (this.#tail && !this.#held) {
      const tail = this.#tail;
      const replaced = this.#read(tail, 0, tail.length);
      if (replaced !== undefined) this.#tail = Buffer.from(replaced);
    }
    const rest = [...(this.#held ?? []), ...(this.#tail ? [this.#tail] : [])];
    this.#held = undefined;
    this.#tail = undefined;
    return Buffer.concat(rest);
  }

  /** The chat relay's hook; here whatever precedes the terminal event leaves with `push`. */
  releaseBeforeDone(): Buffer | undefined {
    return undefined;
  }

  /** True when the stream ended properly: its terminal event, or at least its final usage. */
  get complete(): boolean {
    return this.facts.sawDone || this.facts.usage !== undefined;
  }

  #relay(complete: Buffer, carriageReturns: boolean): Buffer | undefined {
    const pieces: Buffer[] = [];
    let copiedTo = 0;
    for (let start = 0; start < complete.length; ) {
      const next = nextEventEnd(complete, start, carriageReturns);
      const stop = next === -1 ? complete.length : next;
      const replaced = this.#read(complete, start, stop);
      if (this.facts.sawDone) {
        pieces.push(complete.subarray(copiedTo, start));
        this.#held = [
          replaced === undefined ? complete.subarray(start, stop) : Buffer.from(replaced),
          complete.subarray(stop),
          ...(this.#tail ? [this.#tail] : []),
        ];
        this.#tail = undefined;
        return nonEmpty(Buffer.concat(pieces));
      }
      if (replaced !== undefined) {
        pieces.push(complete.subarray(copiedTo, start), Buffer.from(replaced));
        copiedTo = stop;
      }
      start = stop;
    }
    if (copiedTo === 0) return complete;
    pieces.push(complete.subarray(copiedTo));
    return nonEmpty(Buffer.concat(pieces));
  }

  /** Reads one event; returns its replacement when it carries an upstream error. */
  #read(bytes: Buffer, start: number, stop: number): string | undefined {
    const name = eventName(bytes, start, stop);
    if (name === undefined || !this.#reader.wants(name)) return undefined;
    const data = eventData(bytes.toString('utf8', start, stop));
    const parsed = data === undefined ? undefined : parseJsonObjectText(data);
    if (!parsed) return undefined;
    const verdict = this.#reader.observe(name, parsed, this.facts);
    if (verdict?.terminal) this.facts.sawDone = true;
    if (!verdict?.error) return undefined;
    this.facts.error ??= verdict.error;
    return this.#cleanError(name, parsed, verdict.error);
  }
}

function nonEmpty(bytes: Buffer): Buffer | undefined {
  return bytes.length > 0 ? bytes : undefined;
}

/**
 * An event's name: its `event:` line, else (a server that sends data lines only) the data's
 * `type`, which both dialects put first. Read from the event's start alone.
 */
function eventName(bytes: Buffer, start: number, stop: number): string | undefined {
  const head = bytes.toString('latin1', start, Math.min(stop, start + 200));
  return (EVENT_LINE.exec(head) ?? DATA_TYPE.exec(head))?.[1];
}

const EVENT_LINE = /(?:^|[\r\n])event: ?([^\r\n]+)/;
const DATA_TYPE = /(?:^|[\r\n])data: ?\{\s*"type"\s*:\s*"([^"]+)"/;
