import {
  type ChatChoice,
  type ChatCompletion,
  type ChatCompletionCreateParams,
  ChatCompletionSchema,
  type ChatUsage,
  type FinishReason,
  type Message,
  type OmitField,
  type ResponseMessage,
} from '../../shared/wire/index.ts';
import { type CallContext, callJson } from '../call.ts';
import { ChatCompletionStream } from '../chat-stream.ts';
import type { FinishReasonError } from '../client-errors.ts';
import { finishReasonError } from '../finish-reason.ts';
import { openStream } from '../open-stream.ts';
import type { ApiResult, RequestOptions } from '../types.ts';

/**
 * A reply's message, typed as OpenRouter sends it: always the assistant's (§4). Parsing accepts
 * any role string, as for every enum-like field (an odd value must not fail a billed call); the
 * literal is what lets the message go back into `messages` as it came.
 */
export type ChatResponseMessage = OmitField<ResponseMessage, 'role'> & { role: 'assistant' };
export type ChatResponseChoice = OmitField<ChatChoice, 'message'> & { message: ChatResponseMessage };
/** The body of a non-streamed chat completion, its messages typed as {@link ChatResponseMessage}. */
export type ChatCompletionBody = OmitField<ChatCompletion, 'choices'> & { choices: ChatResponseChoice[] };

export type { ChatCompletionCreateParams };

/**
 * A message of a request: system, developer, user, assistant or tool, or a reply's message sent
 * back unmodified. §3.2 asks for exactly that (`reasoning_details` and `annotations` passed back
 * as received), and a reply carries `null` where a hand-written message leaves a field out.
 */
export type ChatMessageParam = Message | ChatResponseMessage;

/**
 * What `chat.create` and `chat.stream` take: {@link ChatCompletionCreateParams} (the wire type,
 * which every caller's params still are) whose `messages` may also hold replies as received.
 */
export type ChatCreateParams = OmitField<ChatCompletionCreateParams, 'messages'> & {
  messages: ChatMessageParam[];
};

export interface ChatCompletionResult extends ApiResult<ChatCompletionBody> {
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
  create(params: ChatCreateParams, options?: RequestOptions): Promise<ChatCompletionResult>;
  /** `POST /chat/completions` with `stream: true`; resolves once the stream has started. */
  stream(params: ChatCreateParams, options?: RequestOptions): Promise<ChatCompletionStream>;
}

export function createChatResource(ctx: CallContext): ChatResource {
  return {
    async create(params, options) {
      const result = await callJson(
        ctx,
        { method: 'POST', path: '/chat/completions', body: { ...params, stream: false } },
        ChatCompletionSchema,
        asReply,
        options,
      );
      const choice = result.data.choices[0];
      const finishReason = choice?.finish_reason ?? null;
      const nativeFinishReason = choice?.native_finish_reason ?? null;
      return {
        ...result,
        // The same object as `data`, typed as a reply.
        body: result.data,
        text: messageText(choice?.message.content),
        finishReason,
        nativeFinishReason,
        usage: result.data.usage ?? undefined,
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

/** See {@link ChatResponseMessage}: the role is the one thing the type narrows. */
function asReply(body: ChatCompletion): ChatCompletionBody {
  return body as ChatCompletionBody;
}

function messageText(content: ChatCompletion['choices'][number]['message']['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}
