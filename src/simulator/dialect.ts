import type { TokenUsage } from './billing.ts';
import { type InferenceRequest, parseInferenceRequest } from './inference-request.ts';
import { messagesDialect } from './messages-dialect.ts';
import { chatStreamPlan, type InferenceKind, renderBody, type ServedCall } from './render.ts';
import { responsesDialect } from './responses-dialect.ts';
import type { Settlement } from './settle.ts';
import type { StreamEnding, StreamPlan } from './stream-writer.ts';

/**
 * What differs between the inference routes: how the request reads (mapped onto the shared
 * `InferenceRequest`) and how the served call is written back (body, stream events). Auth, faults,
 * routing, the answer, caching, billing and pacing are shared by handleInference.
 */

/** A settled call, as renderers see it. */
export interface CallResult {
  usage: TokenUsage;
  settlement: Settlement;
  /** Unix seconds when the call was settled. */
  completedAt: number;
}

export interface DialectReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Dialect {
  parse(body: unknown, defaultModel: string): InferenceRequest | string;
  /** The non-streamed reply (status 200, except a failed Messages call). */
  reply(call: ServedCall, result: CallResult, requestId: () => string): DialectReply;
  /** `prompt` is the prompt side of the usage (cache included), known before any output. */
  stream(call: ServedCall, ending: StreamEnding, prompt: TokenUsage): StreamPlan<CallResult>;
}

function openRouterDialect(kind: 'chat' | 'completion'): Dialect {
  return {
    parse: (body, defaultModel) => parseInferenceRequest(body, kind, defaultModel),
    reply: (call, result) => ({ status: 200, body: renderBody(call, result.settlement.usage) }),
    stream(call, ending) {
      const plan = chatStreamPlan(call, ending);
      return { head: plan.head, frames: plan.frames, tail: (result) => plan.tail(result.settlement.usage) };
    },
  };
}

export const DIALECTS: Record<InferenceKind, Dialect> = {
  chat: openRouterDialect('chat'),
  completion: openRouterDialect('completion'),
  responses: responsesDialect,
  messages: messagesDialect,
};
