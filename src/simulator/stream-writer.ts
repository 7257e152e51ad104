import type { ServerResponse } from 'node:http';
import { encodeSseComment } from '../shared/sse/encoder.ts';
import { pause, type RequestContext, requestSignal } from './http.ts';

/**
 * Writes an inference stream of any dialect (§5): the plan's head (the processing comment and
 * opening events), its paced output frames, then its tail (usage, terminal or error events) once
 * the call is settled. Truncation stops half-way through the frames and writes no tail. With zero
 * latency everything goes out in one write and no timer is created; otherwise frames are paced
 * and a client disconnect cancels the generation, billed for the tokens already sent.
 */

/** One SSE frame of output and how many completion tokens exist once it is sent. */
export interface StreamFrame {
  text: string;
  tokens: number;
  tokensAfter: number;
}

/** What a dialect streams: `R` is what settling the call yields (the tail renders it). */
export interface StreamPlan<R> {
  /** Written at once after the headers (no tokens, no pacing). */
  head: string;
  /** Output frames, paced by the tokens they carry. */
  frames: StreamFrame[];
  /** The closing text after settlement; not written for truncated or cancelled streams. */
  tail(result: R): string;
}

export interface Pacing {
  firstMs: number;
  perTokenMs: number;
  perFrameMs: number;
}

export type StreamEnding = 'normal' | 'error' | 'truncated';

export interface StreamOutcome {
  /** Completion tokens that reached the wire (reasoning included). */
  producedTokens: number;
  cancelled: boolean;
  firstTokenAtMs: number | null;
}

/** Called once the outcome is known, before the final frames are written. */
export type SettleStream<R> = (outcome: StreamOutcome) => R;

export const PROCESSING_COMMENT = encodeSseComment('OPENROUTER PROCESSING');

export function isUnpaced(p: Pacing): boolean {
  return p.firstMs === 0 && p.perTokenMs === 0 && p.perFrameMs === 0;
}

export async function writeStream<R>(
  ctx: RequestContext,
  generationId: string,
  plan: StreamPlan<R>,
  ending: StreamEnding,
  pacing: Pacing,
  settle: SettleStream<R>,
): Promise<void> {
  const res = ctx.res;
  const frames =
    ending === 'truncated' ? plan.frames.slice(0, Math.ceil(plan.frames.length / 2)) : plan.frames;
  ctx.log.status = 200;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Generation-Id': generationId,
  });
  const tail = (result: R): string => (ending === 'truncated' ? '' : plan.tail(result));

  if (isUnpaced(pacing)) {
    let text = plan.head;
    for (const frame of frames) text += frame.text;
    const produced = frames.at(-1)?.tokensAfter ?? 0;
    const result = settle({
      producedTokens: produced,
      cancelled: false,
      firstTokenAtMs: ctx.core.clock.now(),
    });
    res.end(text + tail(result));
    return;
  }

  const signal = requestSignal(ctx);
  res.write(plan.head);
  let produced = 0;
  let firstTokenAtMs: number | null = null;
  for (const [i, frame] of frames.entries()) {
    const newTokens = frame.tokensAfter - produced;
    const wait =
      i === 0
        ? pacing.firstMs + (newTokens - frame.tokens) * pacing.perTokenMs
        : pacing.perFrameMs + newTokens * pacing.perTokenMs;
    if (!(await pause(ctx, wait, signal)) || !(await write(res, frame.text, signal))) {
      settle({ producedTokens: produced, cancelled: true, firstTokenAtMs });
      res.destroy();
      return;
    }
    produced = frame.tokensAfter;
    firstTokenAtMs ??= ctx.core.clock.now();
  }
  const result = settle({ producedTokens: produced, cancelled: false, firstTokenAtMs });
  res.end(tail(result));
}

/** Writes with backpressure; false if the client went away first. */
async function write(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(text)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    res.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
