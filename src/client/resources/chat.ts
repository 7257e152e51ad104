import {
  type ChatCompletion,
  type ChatCompletionCreateParams,
  ChatCompletionSchema,
  type ChatUsage,
  type FinishReason,
} from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import { ChatCompletionStream } from '../chat-stream.ts';
import type { FinishReasonError } from '../client-errors.ts';
import { finishReasonError } from '../finish-reason.ts';
import { openStream } from '../open-stream.ts';
import type { ApiResult, RequestOptions } from '../types.ts';

export type { ChatCompletionCreateParams };

export interface ChatCompletionResult extends ApiResult<ChatCompletion> {
  /** Choice 0's message content ('' when null, e.g. tool calls only). */
  text: string;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  usage: ChatUsage | undefined;
  /** Set when finish_reason is length, content_filter or error (never silently passed on). */
  finishReasonError: FinishReasonError | undefined;
}

export interface ChatResource {
  /** `POST /chat/completions` without streaming. */
  create(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletionResult>;
  /** `POST /chat/completions` with `stream: true`; resolves once the stream has started. */
  stream(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletionStream>;
}

export function createChatResource(ctx: CallContext): ChatResource {
  return {
    async create(params, options) {
      const result = await callJson(
        ctx,
        { method: 'POST', path: '/chat/completions', body: { ...params, stream: false } },
        ChatCompletionSchema,
        (body) => body,
        options,
      );
      const choice = result.body.choices[0];
      const finishReason = choice?.finish_reason ?? null;
      const nativeFinishReason = choice?.native_finish_reason ?? null;
      return {
        ...result,
        text: messageText(choice?.message.content),
        finishReason,
        nativeFinishReason,
        usage: result.body.usage ?? undefined,
        finishReasonError: finishReasonError({
          finishReason,
          nativeFinishReason,
          choiceError: choice?.error ?? undefined,
          generationId: result.generationId,
          attempts: result.attempts,
        }),
      };
    },
    async stream(params, options) {
      const opened = await openStream(
        ctx,
        { method: 'POST', path: '/chat/completions', body: { ...params, stream: true } },
        options,
      );
      return new ChatCompletionStream({
        opened,
        clock: ctx.clock,
        idleTimeoutMs: ctx.streamIdleTimeoutMs,
        secrets: ctx.secrets,
        callerSignal: options?.signal,
      });
    },
  };
}

function messageText(content: ChatCompletion['choices'][number]['message']['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}
