import type { ServerResponse } from 'node:http';
import { encodeSseComment, SSE_DONE_FRAME } from '../shared/sse/encoder.ts';
import { pause, type RequestContext, requestSignal } from './http.ts';
import { errorFrame, type ServedCall, type StreamFrame, usageFrame, withFinish } from './render.ts';

/**
 * Writes a chat/completion stream (§5): a processing comment, the output frames (the last one
 * carrying finish_reason), the usage frame and [DONE]. Error endings replace the tail with an
 * error chunk; truncation stops half-way. With zero latency everything goes out in one write and
 * no timer is created; otherwise frames are paced and a client disconnect cancels the generation.
 */

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

/** Called once the outcome is known, before the final frames are written; returns the usage. */
export type SettleStream = (outcome: StreamOutcome) => Record<string, unknown>;

export const PROCESSING_COMMENT = encodeSseComment('OPENROUTER PROCESSING');

export function isUnpaced(p: Pacing): boolean {
  return p.firstMs === 0 && p.perTokenMs === 0 && p.perFrameMs === 0;
}

export async function writeStream(
  ctx: RequestContext,
  call: ServedCall,
  allFrames: StreamFrame[],
  ending: StreamEnding,
  pacing: Pacing,
  settle: SettleStream,
): Promise<void> {
  const res = ctx.res;
  const frames =
    ending === 'truncated'
      ? allFrames.slice(0, Math.ceil(allFrames.length / 2))
      : ending === 'normal'
        ? withFinish(call, allFrames)
        : allFrames;
  ctx.log.status = 200;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Generation-Id': call.id,
  });
  const tail = (usage: Record<string, unknown>): string =>
    ending === 'normal'
      ? usageFrame(call, usage) + SSE_DONE_FRAME
      : ending === 'error'
        ? errorFrame(call)
        : '';

  if (isUnpaced(pacing)) {
    let text = PROCESSING_COMMENT;
    for (const frame of frames) text += frame.text;
    const produced = frames.at(-1)?.tokensAfter ?? 0;
    const usage = settle({
      producedTokens: produced,
      cancelled: false,
      firstTokenAtMs: ctx.core.clock.now(),
    });
    res.end(text + tail(usage));
    return;
  }

  const signal = requestSignal(ctx);
  res.write(PROCESSING_COMMENT);
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
  const usage = settle({ producedTokens: produced, cancelled: false, firstTokenAtMs });
  res.end(tail(usage));
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
