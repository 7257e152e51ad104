import type { AccumulatedToolCall, ChatCompletionResult, ChatStreamResult } from '../client/index.ts';
import type { FinishedCall } from '../metering/index.ts';
import { type Money, moneyToNumber } from '../shared/money.ts';
import type { ChatUsage } from '../shared/wire/index.ts';

export interface ToolCall {
  id: string | undefined;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
}

/** A finished metered chat call. Its ledger row is committed before this is returned. */
export interface ChatResult {
  /** tollgate's request id (the ledger row). */
  id: string;
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** True when the output stopped at max_tokens (finish_reason `length`): the text is cut short. */
  truncated: boolean;
  usage: ChatUsage | undefined;
  /** Exact cost (picodollars); null when unknown (marked so in the ledger, never 0). */
  cost: Money | null;
  /** The same for people: USD as a number, null when unknown. */
  costUsd: number | null;
  costSource: string | null;
  generationId: string | undefined;
  /** The model and provider that served (after fallbacks). */
  model: string | undefined;
  provider: string | undefined;
  attempts: number;
  /**
   * An attempt before the one that answered broke off after its request may have reached
   * OpenRouter: OpenRouter may have billed it too, and its cost is not in `cost` or the ledger.
   */
  earlierAttemptsMayHaveBilled: boolean;
  latencyMs: number;
  ttftMs: number | undefined;
}

function costFields(finished: FinishedCall): Pick<ChatResult, 'cost' | 'costUsd' | 'costSource'> {
  return {
    cost: finished.cost,
    costUsd: finished.cost === null ? null : moneyToNumber(finished.cost),
    costSource: finished.costSource,
  };
}

export function resultFromCompletion(
  id: string,
  response: ChatCompletionResult,
  finished: FinishedCall,
): ChatResult {
  const message = response.body.choices[0]?.message;
  return {
    id,
    text: response.text,
    reasoning: message?.reasoning ?? '',
    toolCalls: (message?.tool_calls ?? []).map((call) => ({
      id: call.id ?? undefined,
      name: call.function.name,
      arguments: call.function.arguments,
    })),
    finishReason: response.finishReason,
    nativeFinishReason: response.nativeFinishReason,
    truncated: response.finishReason === 'length',
    usage: response.usage,
    ...costFields(finished),
    generationId: response.generationId,
    model: response.body.model ?? undefined,
    provider: typeof response.body.provider === 'string' ? response.body.provider : undefined,
    attempts: response.attempts,
    earlierAttemptsMayHaveBilled: response.earlierAttemptsMayHaveBilled,
    latencyMs: response.latencyMs,
    ttftMs: undefined,
  };
}

export function resultFromStream(id: string, summary: ChatStreamResult, finished: FinishedCall): ChatResult {
  return {
    id,
    text: summary.text,
    reasoning: summary.reasoning,
    toolCalls: summary.toolCalls.map((call: AccumulatedToolCall) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    })),
    finishReason: summary.finishReason,
    nativeFinishReason: summary.nativeFinishReason,
    truncated: summary.finishReason === 'length',
    usage: summary.usage,
    ...costFields(finished),
    generationId: summary.generationId ?? summary.id,
    model: summary.model,
    provider: summary.provider,
    attempts: summary.attempts,
    earlierAttemptsMayHaveBilled: summary.earlierAttemptsMayHaveBilled,
    latencyMs: summary.latencyMs,
    ttftMs: summary.timeToFirstChunkMs,
  };
}
