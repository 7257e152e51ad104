import type { Answer, AnswerToolCall } from './answer.ts';
import { pieces } from './render.ts';
import type { StreamFrame } from './stream-writer.ts';
import { countTextTokens } from './tokenizer.ts';

/**
 * The output of an answer as blocks (shown reasoning, then the tool calls or the text), and the
 * paced frames of a typed-event stream (Responses, Messages) built from them. Tokens are counted
 * exactly as in a chat stream, so pacing, truncation and cancellation billing match chat.
 */

export type OutputBlock =
  | { type: 'reasoning'; text: string }
  | { type: 'text'; text: string }
  | { type: 'tool'; call: AnswerToolCall };

export function outputBlocks(answer: Answer): OutputBlock[] {
  const blocks: OutputBlock[] = [];
  if (answer.showReasoning && answer.reasoning !== '')
    blocks.push({ type: 'reasoning', text: answer.reasoning });
  if (answer.toolCalls.length > 0) for (const call of answer.toolCalls) blocks.push({ type: 'tool', call });
  else blocks.push({ type: 'text', text: answer.content ?? '' });
  return blocks;
}

/** Serialised events of a block; called in wire order (open, each delta, close). */
export interface BlockEvents {
  open(block: OutputBlock, index: number): string;
  delta(block: OutputBlock, index: number, piece: string): string;
  close(block: OutputBlock, index: number): string;
}

/**
 * One frame per streamed piece. A block's opening events ride on its first delta (a tool's opening
 * is a frame of its own carrying the name's tokens, as in chat), its closing events on its last.
 */
export function assembleFrames(answer: Answer, blocks: OutputBlock[], events: BlockEvents): StreamFrame[] {
  const frames: StreamFrame[] = [];
  // Hidden reasoning takes its time and tokens before the first visible frame.
  let produced = answer.showReasoning ? 0 : answer.reasoningTokens;
  const push = (text: string, tokens: number) => {
    produced += tokens;
    frames.push({ text, tokens, tokensAfter: produced });
  };
  for (const [index, block] of blocks.entries()) {
    let pending = events.open(block, index);
    let body: string;
    if (block.type === 'tool') {
      push(pending, countTextTokens(block.call.name));
      pending = '';
      body = block.call.arguments;
    } else {
      body = block.text;
    }
    for (const piece of body === '' ? [] : pieces(body)) {
      push(pending + events.delta(block, index, piece), countTextTokens(piece));
      pending = '';
    }
    const close = events.close(block, index);
    const last = frames.at(-1);
    if (pending !== '' || last === undefined) push(pending + close, 0);
    else last.text += close;
  }
  // Token counts are per piece; rounding can leave a remainder: settle it on the last frame.
  const lastFrame = frames.at(-1);
  if (lastFrame !== undefined) {
    lastFrame.tokens += answer.completionTokens - produced;
    lastFrame.tokensAfter = answer.completionTokens;
  }
  return frames;
}

/** The id suffix of a generation (`gen-<unix>-<suffix>`), reused for item ids. */
export function idSuffix(generationId: string): string {
  return generationId.slice(generationId.lastIndexOf('-') + 1);
}
