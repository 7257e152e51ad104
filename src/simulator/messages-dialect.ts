import { encodeSseEvent } from '../shared/sse/encoder.ts';
import type { Answer, AnswerToolCall } from './answer.ts';
import type { TokenUsage } from './billing.ts';
import type { CallResult, Dialect } from './dialect.ts';
import { assembleFrames, type BlockEvents, type OutputBlock, outputBlocks } from './dialect-frames.ts';
import { anthropicErrorBody } from './errors.ts';
import { type InferenceRequest, parseInferenceRequest } from './inference-request.ts';
import { isObject, type JsonObject, objectField, stringField } from './json-util.ts';
import type { ServedCall } from './render.ts';
import { hashString } from './rng.ts';
import { PROCESSING_COMMENT, type StreamPlan } from './stream-writer.ts';

/**
 * POST /messages, OpenRouter's Anthropic Messages skin (§11.4): Anthropic requests map onto chat
 * messages, answers render as `message` objects with Anthropic usage (input_tokens = uncached
 * input only, no cost), and streams are Anthropic's typed events. Errors use Anthropic's envelope
 * (http.ts re-envelopes every error of this route).
 */

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function parseMessagesRequest(body: unknown, defaultModel: string): InferenceRequest | string {
  if (!isObject(body)) return 'Request body must be a JSON object.';
  const maxTokens = body.max_tokens;
  if (maxTokens === undefined || maxTokens === null) return 'max_tokens: Field required';
  if (!(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1))
    return 'max_tokens: must be an integer ≥ 1.';
  const models = modelList(body);
  if (typeof models === 'string') return models;
  const messages = translateMessages(body);
  if (typeof messages === 'string') return messages;
  const tools = translateTools(body.tools);
  if (typeof tools === 'string') return tools;
  const toolChoice = translateToolChoice(body.tool_choice);
  if (isObject(toolChoice) && typeof toolChoice.error === 'string') return toolChoice.error;
  const reasoning = translateThinking(body.thinking);
  if (typeof reasoning === 'string') return reasoning;
  const metadata = objectField(body, 'metadata');
  return parseInferenceRequest(
    {
      model: body.model,
      models,
      messages,
      max_tokens: maxTokens,
      temperature: body.temperature,
      stream: body.stream,
      tools,
      tool_choice: toolChoice,
      reasoning,
      provider: body.provider,
      user: body.user ?? (metadata === undefined ? undefined : metadata.user_id),
      session_id: body.session_id,
      cache_control: body.cache_control,
    },
    'chat',
    defaultModel,
  );
}

/** `models` plus the Anthropic-style `fallbacks: [{model}]` (§11.4), as chat's `models`. */
function modelList(body: JsonObject): unknown {
  const fallbacks = body.fallbacks;
  if (fallbacks === undefined || fallbacks === null) return body.models;
  if (!Array.isArray(fallbacks) || !fallbacks.every((f) => isObject(f) && typeof f.model === 'string'))
    return '"fallbacks" must be an array of {model}.';
  const models = Array.isArray(body.models) ? body.models : [];
  return [...models, ...fallbacks.map((f: JsonObject) => f.model)];
}

function translateMessages(body: JsonObject): JsonObject[] | string {
  const out: JsonObject[] = [];
  const system = body.system;
  if (typeof system === 'string') {
    if (system !== '') out.push({ role: 'system', content: system });
  } else if (Array.isArray(system)) {
    const parts = translateBlocks(system, 'system', 'system');
    if (typeof parts === 'string') return parts;
    out.push({ role: 'system', content: parts.content });
  } else if (system !== undefined && system !== null) {
    return 'system: must be a string or an array of text blocks.';
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: at least one message is required';
  for (const [i, message] of messages.entries()) {
    if (!isObject(message)) return `messages.${i}: must be an object.`;
    const role = message.role;
    if (role !== 'user' && role !== 'assistant') return `messages.${i}.role: must be "user" or "assistant".`;
    const content = message.content;
    if (typeof content === 'string') {
      out.push({ role, content });
      continue;
    }
    if (!Array.isArray(content)) return `messages.${i}.content: must be a string or an array of blocks.`;
    const blocks = translateBlocks(content, role, `messages.${i}.content`);
    if (typeof blocks === 'string') return blocks;
    // Tool results answer the previous assistant turn, so they come before the user's other blocks.
    out.push(...blocks.toolResults);
    if (role === 'assistant') {
      const text = blocks.content;
      const calls = blocks.toolCalls;
      if (calls.length > 0) out.push({ role, content: text.length > 0 ? text : null, tool_calls: calls });
      else out.push({ role, content: text });
    } else if (blocks.content.length > 0 || blocks.toolResults.length === 0) {
      out.push({ role, content: blocks.content });
    }
  }
  return out;
}

interface TranslatedBlocks {
  content: JsonObject[];
  toolCalls: JsonObject[];
  toolResults: JsonObject[];
}

function translateBlocks(blocks: unknown[], role: string, where: string): TranslatedBlocks | string {
  const out: TranslatedBlocks = { content: [], toolCalls: [], toolResults: [] };
  for (const [j, block] of blocks.entries()) {
    if (!isObject(block)) return `${where}.${j}: must be an object.`;
    const marker = isObject(block.cache_control) ? { cache_control: block.cache_control } : {};
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') return `${where}.${j}.text: must be a string.`;
        out.content.push({ type: 'text', text: block.text, ...marker });
        break;
      case 'image':
      case 'document': {
        const part = mediaPart(block, `${where}.${j}`);
        if (typeof part === 'string') return part;
        out.content.push({ ...part, ...marker });
        break;
      }
      case 'tool_use': {
        if (role !== 'assistant') return `${where}.${j}: tool_use blocks belong to assistant messages.`;
        const id = stringField(block, 'id');
        const name = stringField(block, 'name');
        if (id === undefined || name === undefined)
          return `${where}.${j}: tool_use needs string id and name.`;
        out.toolCalls.push({
          id,
          type: 'function',
          function: { name, arguments: JSON.stringify(block.input ?? {}) },
        });
        break;
      }
      case 'tool_result': {
        if (role !== 'user') return `${where}.${j}: tool_result blocks belong to user messages.`;
        const id = stringField(block, 'tool_use_id');
        if (id === undefined) return `${where}.${j}.tool_use_id: must be a string.`;
        let content: unknown = block.content ?? '';
        if (Array.isArray(content)) {
          const inner = translateBlocks(content, 'tool', `${where}.${j}.content`);
          if (typeof inner === 'string') return inner;
          content = inner.content;
        } else if (typeof content !== 'string') {
          return `${where}.${j}.content: must be a string or an array of blocks.`;
        }
        out.toolResults.push({ role: 'tool', tool_call_id: id, content });
        break;
      }
      case 'thinking':
      case 'redacted_thinking':
        break; // earlier reasoning: not part of the prompt
      default:
        out.content.push(block); // counted as chat counts an unknown part
    }
  }
  return out;
}

function mediaPart(block: JsonObject, where: string): JsonObject | string {
  const source = objectField(block, 'source');
  if (source === undefined) return `${where}.source: Field required`;
  let url: string | undefined;
  if (source.type === 'base64') {
    const data = stringField(source, 'data');
    const mediaType = stringField(source, 'media_type');
    if (data !== undefined) url = `data:${mediaType ?? 'application/octet-stream'};base64,${data}`;
  } else if (source.type === 'url') {
    url = stringField(source, 'url');
  } else if (source.type === 'text' && block.type === 'document') {
    return { type: 'text', text: stringField(source, 'data') ?? '' };
  } else if (source.type === 'file') {
    url = stringField(source, 'file_id');
  }
  if (url === undefined) return `${where}.source: unsupported or incomplete source.`;
  return block.type === 'image'
    ? { type: 'image_url', image_url: { url } }
    : { type: 'file', file: { filename: stringField(block, 'title') ?? 'document', file_data: url } };
}

function translateTools(value: unknown): JsonObject[] | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return 'tools: must be an array.';
  const tools: JsonObject[] = [];
  for (const [i, tool] of value.entries()) {
    if (!isObject(tool)) return `tools.${i}: must be an object.`;
    // Versioned server tools (web_search_20250305, bash_…) run on the provider's side.
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') continue;
    const name = stringField(tool, 'name');
    if (name === undefined || !TOOL_NAME.test(name))
      return `tools.${i}.name: must be 1–64 characters of [a-zA-Z0-9_-].`;
    const fn: JsonObject = { name, parameters: tool.input_schema ?? { type: 'object', properties: {} } };
    if (typeof tool.description === 'string') fn.description = tool.description;
    tools.push({ type: 'function', function: fn });
  }
  return tools;
}

function translateToolChoice(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) {
    switch (value.type) {
      case 'auto':
        return 'auto';
      case 'any':
        return 'required';
      case 'none':
        return 'none';
      case 'tool':
        if (typeof value.name === 'string') return { type: 'function', function: { name: value.name } };
        return { error: 'tool_choice.name: Field required for type "tool".' };
    }
  }
  return { error: 'tool_choice: must be {type: "auto"|"any"|"tool"|"none", name?}.' };
}

function translateThinking(value: unknown): JsonObject | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return 'thinking: must be an object.';
  switch (value.type) {
    case 'enabled': {
      const budget = value.budget_tokens;
      if (budget !== undefined && !(typeof budget === 'number' && Number.isInteger(budget) && budget >= 1))
        return 'thinking.budget_tokens: must be an integer ≥ 1.';
      return budget === undefined ? { enabled: true } : { enabled: true, max_tokens: budget };
    }
    case 'adaptive':
      return { enabled: true };
    case 'disabled':
      return { enabled: false };
    default:
      return 'thinking.type: must be "enabled" or "disabled".';
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

const STOP_REASONS: Record<Exclude<Answer['finishReason'], 'error'>, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

function stopReason(answer: Answer): string {
  return answer.finishReason === 'error' ? 'end_turn' : STOP_REASONS[answer.finishReason];
}

/** Anthropic usage: input_tokens is the uncached input; the prompt is the sum of the three inputs. */
function anthropicUsage(usage: TokenUsage): JsonObject {
  return {
    input_tokens: usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedTokens,
  };
}

const toolUseId = (call: AnswerToolCall) => `toolu_${call.id.replace(/^call_/, '')}`;

/** A stand-in for Anthropic's opaque thinking signature, stable for the same reasoning. */
function signature(call: ServedCall, thinking: string): string {
  return Buffer.from(`sim-signature:${call.id}:${hashString(thinking).toString(16)}`).toString('base64');
}

function parsedInput(args: string): unknown {
  try {
    const value: unknown = JSON.parse(args);
    return isObject(value) ? value : {};
  } catch {
    return {}; // cut by max_tokens: no complete object yet
  }
}

function contentBlock(call: ServedCall, block: OutputBlock): JsonObject {
  switch (block.type) {
    case 'reasoning':
      return { type: 'thinking', thinking: block.text, signature: signature(call, block.text) };
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool':
      return {
        type: 'tool_use',
        id: toolUseId(block.call),
        name: block.call.name,
        input: parsedInput(block.call.arguments),
      };
  }
}

/** The failure of an answer that ended in error (mid-stream-error, finish-error). */
function failure(answer: Answer): { status: number; message: string; errorType: string } {
  if (answer.error !== null) {
    const type = answer.error.metadata.error_type;
    return {
      status: answer.error.code,
      message: answer.error.message,
      errorType: typeof type === 'string' ? type : 'server',
    };
  }
  return {
    status: 502,
    message: `The provider ended the generation with an error (${answer.nativeFinishReason ?? 'error'}).`,
    errorType: 'provider_unavailable',
  };
}

function messageBody(call: ServedCall, usage: TokenUsage): JsonObject {
  return {
    id: call.id,
    type: 'message',
    role: 'assistant',
    model: call.model,
    content: outputBlocks(call.answer).map((block) => contentBlock(call, block)),
    stop_reason: stopReason(call.answer),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

function streamPlan(call: ServedCall, prompt: TokenUsage): StreamPlan<CallResult> {
  const event = (type: string, data: JsonObject = {}): string =>
    encodeSseEvent({ event: type, data: { type, ...data } });
  const events: BlockEvents = {
    open(block, index) {
      let start: JsonObject;
      if (block.type === 'reasoning') start = { type: 'thinking', thinking: '', signature: '' };
      else if (block.type === 'text') start = { type: 'text', text: '' };
      else start = { type: 'tool_use', id: toolUseId(block.call), name: block.call.name, input: {} };
      const opened = event('content_block_start', { index, content_block: start });
      return index === 0 ? opened + event('ping') : opened;
    },
    delta(block, index, piece) {
      const delta =
        block.type === 'reasoning'
          ? { type: 'thinking_delta', thinking: piece }
          : block.type === 'text'
            ? { type: 'text_delta', text: piece }
            : { type: 'input_json_delta', partial_json: piece };
      return event('content_block_delta', { index, delta });
    },
    close(block, index) {
      const stop = event('content_block_stop', { index });
      if (block.type !== 'reasoning') return stop;
      const delta = { type: 'signature_delta', signature: signature(call, block.text) };
      return event('content_block_delta', { index, delta }) + stop;
    },
  };
  const head =
    PROCESSING_COMMENT +
    event('message_start', {
      message: {
        id: call.id,
        type: 'message',
        role: 'assistant',
        model: call.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(prompt), // output_tokens 0: nothing produced yet
      },
    });
  return {
    head,
    frames: assembleFrames(call.answer, outputBlocks(call.answer), events),
    tail(result) {
      const a = call.answer;
      if (a.finishReason === 'error') {
        const f = failure(a);
        const type = f.status === 503 || f.status === 529 ? 'overloaded_error' : 'api_error';
        return event('error', { error: { type, message: f.message, error_type: f.errorType } });
      }
      return (
        event('message_delta', {
          delta: { stop_reason: stopReason(a), stop_sequence: null },
          usage: anthropicUsage(result.usage),
        }) + event('message_stop')
      );
    },
  };
}

export const messagesDialect: Dialect = {
  parse: parseMessagesRequest,
  reply(call, result, requestId) {
    if (call.answer.finishReason !== 'error') return { status: 200, body: messageBody(call, result.usage) };
    // A non-streamed Anthropic message has no in-band error: the failure is an HTTP error.
    const f = failure(call.answer);
    return { status: f.status, body: anthropicErrorBody(f.status, f.message, f.errorType, requestId()) };
  },
  stream: (call, _ending, prompt) => streamPlan(call, prompt),
};
