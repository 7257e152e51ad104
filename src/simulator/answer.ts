import type { CatalogueEndpoint, CatalogueModel } from './catalogue.ts';
import type { Fault } from './faults.ts';
import type { InferenceRequest } from './inference-request.ts';
import { generateFromSchema } from './json-schema-gen.ts';
import { alnum, createRng, hashNumber, hashString, type Rng } from './rng.ts';
import { generatePhrase, generateReasoning, generateText, truncateToTokens } from './text-gen.ts';
import { countTextTokens, type PromptStats } from './tokenizer.ts';

/** What the model "said": decided up front, then rendered as JSON or streamed piece by piece. */
export interface Answer {
  /** Generated reasoning ('' when the model did not reason). Billed even when hidden. */
  reasoning: string;
  showReasoning: boolean;
  reasoningTokens: number;
  /** null when the answer is tool calls. */
  content: string | null;
  toolCalls: AnswerToolCall[];
  completionTokens: number;
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';
  /** Overrides the provider's usual native reason (e.g. MALFORMED_FUNCTION_CALL). */
  nativeFinishReason: string | null;
  /** In-band error (mid-stream-error fault). */
  error: { code: number; message: string; metadata: Record<string, unknown> } | null;
}

export interface AnswerToolCall {
  id: string;
  name: string;
  arguments: string;
}

const EFFORT_TOKENS: Record<string, number> = {
  minimal: 8,
  low: 24,
  medium: 48,
  high: 96,
  xhigh: 160,
  max: 192,
};

export interface AnswerInput {
  request: InferenceRequest;
  model: CatalogueModel;
  endpoint: CatalogueEndpoint;
  stats: PromptStats;
  seed: number;
  fault: Fault | null;
}

export function planAnswer(input: AnswerInput): Answer {
  const { request, model, stats, fault } = input;
  // Same messages + model + seed → same answer, streamed or not.
  const rng = createRng(hashString(model.spec.id, hashNumber(input.seed, stats.hash)));
  const budget = Math.min(request.maxTokens ?? Infinity, input.endpoint.maxCompletionTokens ?? Infinity);

  const wantReasoning = reasoningTokensFor(request, model, rng);
  const reasoningTokens = Math.min(wantReasoning, budget);
  const reasoning = reasoningTokens > 0 ? generateReasoning(rng, reasoningTokens) : '';
  const showReasoning = reasoningTokens > 0 && !request.reasoning.exclude;
  let remaining = budget - reasoningTokens;

  const answer: Answer = {
    reasoning,
    showReasoning,
    reasoningTokens,
    content: '',
    toolCalls: [],
    completionTokens: reasoningTokens,
    finishReason: 'stop',
    nativeFinishReason: null,
    error: null,
  };
  if (remaining <= 0) {
    answer.finishReason = 'length';
    return answer;
  }

  const tool = chooseTool(request, model, stats);
  if (tool !== undefined && request.kind === 'chat') {
    const args = JSON.stringify(generateFromSchema(tool.parameters, rng));
    const nameTokens = countTextTokens(tool.name);
    let argsText = args;
    if (nameTokens + countTextTokens(args) > remaining) {
      argsText = truncateToTokens(args, Math.max(0, remaining - nameTokens));
      answer.finishReason = 'length';
    } else {
      answer.finishReason = 'tool_calls';
    }
    answer.content = null;
    answer.toolCalls = [{ id: `call_${alnum(rng, 24)}`, name: tool.name, arguments: argsText }];
    answer.completionTokens += countTextTokens(tool.name + argsText);
    return applyFault(answer, fault);
  }

  let text = contentFor(request, model, stats, rng);
  if (countTextTokens(text) > remaining) {
    text = truncateToTokens(text, remaining);
    answer.finishReason = 'length';
  }
  remaining -= countTextTokens(text);
  answer.content = text;
  answer.completionTokens += countTextTokens(text);
  return applyFault(answer, fault);
}

function reasoningTokensFor(request: InferenceRequest, model: CatalogueModel, rng: Rng): number {
  const spec = model.spec.reasoning;
  if (spec === undefined) return 0;
  const asked = request.reasoning.enabled;
  const enabled =
    asked === false ? spec.mandatory : asked === true || spec.mandatory || spec.default_enabled === true;
  if (!enabled) return 0;
  const effort = request.reasoning.effort ?? spec.default_effort ?? 'medium';
  let tokens = (EFFORT_TOKENS[effort] ?? EFFORT_TOKENS.medium ?? 48) + rng.int(0, 15);
  if (request.reasoning.maxTokens !== null) tokens = Math.min(tokens, request.reasoning.maxTokens);
  return tokens;
}

function chooseTool(request: InferenceRequest, model: CatalogueModel, stats: PromptStats) {
  if (request.tools.length === 0 || request.toolChoice === 'none' || !model.supported.has('tools'))
    return undefined;
  const choice = request.toolChoice;
  if (typeof choice === 'object') return request.tools.find((t) => t.name === choice.name);
  // After a tool result the model answers in words, unless a call is required.
  if (stats.lastRole === 'tool' && choice !== 'required') return undefined;
  const mentioned = request.tools.find((t) => stats.lastText.includes(t.name));
  return mentioned ?? request.tools[0];
}

function contentFor(request: InferenceRequest, model: CatalogueModel, stats: PromptStats, rng: Rng): string {
  const format = model.supported.has('response_format') ? request.responseFormat : { type: 'text' as const };
  if (format.type === 'json_schema') return JSON.stringify(generateFromSchema(format.schema, rng));
  if (format.type === 'json_object') {
    return JSON.stringify({ answer: generatePhrase(rng, rng.int(3, 8)), confidence: rng.int(50, 99) / 100 });
  }
  const text = generateText(rng, rng.int(12, 48));
  return stats.lastRole === 'tool' ? `Based on the tool result: ${text}` : text;
}

/** The finish-type faults change how the answer ends. */
function applyFault(answer: Answer, fault: Fault | null): Answer {
  if (fault === null) return answer;
  const name = fault.name;
  if (
    name !== 'length' &&
    name !== 'content-filter' &&
    name !== 'mid-stream-error' &&
    name !== 'finish-error'
  )
    return answer;
  const visibleTokens = answer.completionTokens - answer.reasoningTokens;
  const keep = name === 'finish-error' ? 0 : Math.max(1, Math.floor(visibleTokens / 2));
  if (answer.content !== null) {
    answer.content = truncateToTokens(answer.content, keep);
  } else {
    const call = answer.toolCalls[0];
    if (call !== undefined) {
      call.arguments = truncateToTokens(call.arguments, Math.max(0, keep - countTextTokens(call.name)));
      if (name === 'finish-error') answer.toolCalls = [];
    }
    if (name === 'finish-error') answer.content = '';
  }
  const visible =
    answer.content !== null
      ? countTextTokens(answer.content)
      : answer.toolCalls.reduce((n, c) => n + countTextTokens(c.name + c.arguments), 0);
  answer.completionTokens = answer.reasoningTokens + visible;
  if (name === 'length') answer.finishReason = 'length';
  else if (name === 'content-filter') answer.finishReason = 'content_filter';
  else if (name === 'finish-error') {
    answer.finishReason = 'error';
    answer.nativeFinishReason = 'MALFORMED_FUNCTION_CALL';
  } else {
    answer.finishReason = 'error';
    answer.nativeFinishReason = 'error';
    answer.error = {
      code: 502,
      message: 'Provider disconnected mid-stream (simulated)',
      metadata: { error_type: 'provider_unavailable', provider_code: 'upstream_disconnected' },
    };
  }
  return answer;
}
