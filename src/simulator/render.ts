import { encodeSseData, SSE_DONE_FRAME } from '../shared/sse/encoder.ts';
import type { Answer } from './answer.ts';
import type { FinishStyle, ProviderSpec } from './catalogue-types.ts';
import { PROCESSING_COMMENT, type StreamEnding, type StreamFrame, type StreamPlan } from './stream-writer.ts';
import { CHARS_PER_TOKEN, countTextTokens } from './tokenizer.ts';

/**
 * Response bodies and stream chunks in OpenRouter's shapes (§4, §5; fixtures). Chat and legacy
 * completions share the plan; only the choice shape differs. The Responses and Messages skins
 * render in responses-dialect.ts and messages-dialect.ts.
 */

/** The inference routes: chat, legacy completions, and the OpenAI Responses / Anthropic Messages skins. */
export type InferenceKind = 'chat' | 'completion' | 'responses' | 'messages';

export interface ServedCall {
  kind: InferenceKind;
  id: string;
  created: number;
  model: string;
  provider: ProviderSpec;
  fingerprint: string | null;
  answer: Answer;
}

const NATIVE: Record<FinishStyle, Record<Answer['finishReason'], string>> = {
  openai: {
    stop: 'stop',
    length: 'length',
    tool_calls: 'tool_calls',
    content_filter: 'content_filter',
    error: 'error',
  },
  anthropic: {
    stop: 'end_turn',
    length: 'max_tokens',
    tool_calls: 'tool_use',
    content_filter: 'refusal',
    error: 'error',
  },
  google: {
    stop: 'STOP',
    length: 'MAX_TOKENS',
    tool_calls: 'STOP',
    content_filter: 'SAFETY',
    error: 'error',
  },
};

const REASONING_FORMAT: Record<FinishStyle, string> = {
  openai: 'openai-responses-v1',
  anthropic: 'anthropic-claude-v1',
  google: 'google-gemini-v1',
};

export function nativeFinishReason(call: ServedCall): string {
  return call.answer.nativeFinishReason ?? NATIVE[call.provider.finishStyle][call.answer.finishReason];
}

function reasoningDetails(call: ServedCall, text: string): Record<string, unknown>[] {
  return [{ type: 'reasoning.text', text, format: REASONING_FORMAT[call.provider.finishStyle], index: 0 }];
}

/** The non-streamed body. */
export function renderBody(call: ServedCall, usage: Record<string, unknown>): Record<string, unknown> {
  const a = call.answer;
  const choice: Record<string, unknown> =
    call.kind === 'chat'
      ? {
          logprobs: null,
          finish_reason: a.finishReason,
          native_finish_reason: nativeFinishReason(call),
          index: 0,
          message: chatMessage(call),
        }
      : {
          text: a.content ?? '',
          index: 0,
          logprobs: null,
          finish_reason: a.finishReason,
          native_finish_reason: nativeFinishReason(call),
        };
  if (a.error !== null) choice.error = a.error;
  return {
    id: call.id,
    provider: call.provider.name,
    model: call.model,
    object: call.kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: call.created,
    choices: [choice],
    system_fingerprint: call.fingerprint,
    usage,
  };
}

function chatMessage(call: ServedCall): Record<string, unknown> {
  const a = call.answer;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: a.content,
    refusal: null,
    reasoning: a.showReasoning ? a.reasoning : null,
  };
  if (a.showReasoning) message.reasoning_details = reasoningDetails(call, a.reasoning);
  if (a.toolCalls.length > 0) {
    message.tool_calls = a.toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  message.annotations = [];
  return message;
}

/** Splits text into pieces of a few tokens, the way providers stream. */
export function pieces(text: string, tokensPerPiece = 4): string[] {
  const size = tokensPerPiece * CHARS_PER_TOKEN;
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** A chunk-frame builder with the per-generation prefix serialised once. */
function chunkWriter(call: ServedCall) {
  const object = call.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const fingerprint =
    call.fingerprint === null ? '' : `,"system_fingerprint":${JSON.stringify(call.fingerprint)}`;
  const head = `{"id":"${call.id}","provider":${JSON.stringify(call.provider.name)},"model":${JSON.stringify(call.model)},"object":"${object}","created":${call.created}${fingerprint},"choices":[`;
  const finish = `${JSON.stringify(call.answer.finishReason)},"native_finish_reason":${JSON.stringify(nativeFinishReason(call))}`;
  return {
    /** `payload` is the serialised delta (chat) or text (completion). */
    frame(payload: string, last: boolean, tail = ''): string {
      const fr = last ? finish : 'null,"native_finish_reason":null';
      const body =
        call.kind === 'chat'
          ? `{"index":0,"delta":${payload},"finish_reason":${fr},"logprobs":null}`
          : `{"index":0,"text":${payload},"finish_reason":${fr},"logprobs":null}`;
      return `data: ${head}${body}]${tail}}\n\n`;
    },
  };
}

/** The output frames, in order; the last one carries finish_reason. Excludes the usage frame. */
function planFrames(call: ServedCall): StreamFrame[] {
  const a = call.answer;
  const w = chunkWriter(call);
  const frames: StreamFrame[] = [];
  let produced = 0;
  const push = (payload: string, tokens: number) => {
    produced += tokens;
    frames.push({ text: w.frame(payload, false), tokens, tokensAfter: produced });
  };
  if (a.reasoningTokens > 0 && call.kind === 'chat') {
    if (a.showReasoning) {
      for (const piece of pieces(a.reasoning)) {
        const details = JSON.stringify(reasoningDetails(call, piece));
        push(
          `{"role":"assistant","content":"","reasoning":${JSON.stringify(piece)},"reasoning_details":${details}}`,
          countTextTokens(piece),
        );
      }
    } else {
      // Hidden reasoning still takes time and tokens before the first visible chunk.
      produced += a.reasoningTokens;
    }
  } else {
    produced += a.reasoningTokens;
  }
  if (a.toolCalls.length > 0 && call.kind === 'chat') {
    for (const [index, c] of a.toolCalls.entries()) {
      const open = { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
      push(
        `{"role":"assistant","content":null,"tool_calls":[${JSON.stringify(open)}]}`,
        countTextTokens(c.name),
      );
      for (const piece of pieces(c.arguments)) {
        const fragment = { index, function: { arguments: piece } };
        push(
          `{"role":"assistant","content":null,"tool_calls":[${JSON.stringify(fragment)}]}`,
          countTextTokens(piece),
        );
      }
    }
  } else {
    const text = a.content ?? '';
    const parts = text === '' ? [''] : pieces(text);
    for (const piece of parts) {
      const payload =
        call.kind === 'chat'
          ? `{"role":"assistant","content":${JSON.stringify(piece)}}`
          : JSON.stringify(piece);
      push(payload, countTextTokens(piece));
    }
  }
  // Token counts are per piece; rounding can leave a remainder: settle it on the last frame.
  const lastFrame = frames.at(-1);
  if (lastFrame !== undefined) {
    lastFrame.tokens += a.completionTokens - produced;
    lastFrame.tokensAfter = a.completionTokens;
  }
  return frames;
}

/**
 * A chat/completion stream: the processing comment, the output frames (the last one carrying
 * finish_reason), then the usage frame and [DONE]; an error ending closes with the error chunk.
 */
export function chatStreamPlan(call: ServedCall, ending: StreamEnding): StreamPlan<Record<string, unknown>> {
  const frames = planFrames(call);
  return {
    head: PROCESSING_COMMENT,
    frames: ending === 'normal' ? withFinish(call, frames) : frames,
    tail: (usage) => (ending === 'error' ? errorFrame(call) : usageFrame(call, usage) + SSE_DONE_FRAME),
  };
}

/** Rewrites the last output frame so it carries finish_reason (not done for error endings). */
function withFinish(call: ServedCall, frames: StreamFrame[]): StreamFrame[] {
  const last = frames.at(-1);
  if (last === undefined) return frames;
  const marker = '"finish_reason":null,"native_finish_reason":null';
  const finish = `"finish_reason":${JSON.stringify(call.answer.finishReason)},"native_finish_reason":${JSON.stringify(nativeFinishReason(call))}`;
  const index = last.text.lastIndexOf(marker);
  if (index >= 0) last.text = last.text.slice(0, index) + finish + last.text.slice(index + marker.length);
  return frames;
}

/** The accounting frame: one choice with an empty delta repeating finish_reason, plus usage (§5.4). */
function usageFrame(call: ServedCall, usage: Record<string, unknown>): string {
  const payload = call.kind === 'chat' ? '{"role":"assistant","content":""}' : '""';
  return chunkWriter(call).frame(payload, true, `,"usage":${JSON.stringify(usage)}`);
}

/** The in-band error chunk of a failed stream (§5.5). */
function errorFrame(call: ServedCall): string {
  return encodeSseData({
    id: call.id,
    object: call.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: call.created,
    model: call.model,
    provider: call.provider.name,
    error: call.answer.error,
    choices: [
      call.kind === 'chat'
        ? { index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }
        : { index: 0, text: '', finish_reason: 'error', native_finish_reason: 'error' },
    ],
  });
}
