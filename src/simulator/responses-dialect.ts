import { encodeSseEvent } from '../shared/sse/encoder.ts';
import type { Answer } from './answer.ts';
import type { TokenUsage } from './billing.ts';
import { usdToNumber } from './decimal.ts';
import type { CallResult, Dialect } from './dialect.ts';
import {
  assembleFrames,
  type BlockEvents,
  idSuffix,
  type OutputBlock,
  outputBlocks,
} from './dialect-frames.ts';
import { type InferenceRequest, parseInferenceRequest } from './inference-request.ts';
import { isObject, type JsonObject, stringField } from './json-util.ts';
import type { ServedCall } from './render.ts';
import type { Settlement } from './settle.ts';
import { PROCESSING_COMMENT, type StreamPlan } from './stream-writer.ts';

/**
 * POST /responses, OpenRouter's stateless OpenAI Responses skin (§11.3): `input` items map onto
 * chat messages, the answer renders as a `response` object, and streams are typed events
 * (`event:` + `data:`, a `sequence_number` on each, no [DONE]) ending in response.completed,
 * response.incomplete or response.failed. Errors keep OpenRouter's envelope.
 */

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const INPUT_ROLES = new Set(['user', 'assistant', 'system', 'developer']);

export function parseResponsesRequest(body: unknown, defaultModel: string): InferenceRequest | string {
  if (!isObject(body)) return 'Request body must be a JSON object.';
  if (body.store === true) return 'store must be false: this API is stateless';
  if (body.previous_response_id !== undefined && body.previous_response_id !== null)
    return 'previous_response_id is not supported: send the full conversation in input';
  const messages = inputMessages(body);
  if (typeof messages === 'string') return messages;
  const maxOutput = body.max_output_tokens;
  if (
    maxOutput !== undefined &&
    maxOutput !== null &&
    !(typeof maxOutput === 'number' && Number.isInteger(maxOutput) && maxOutput >= 1)
  ) {
    return '"max_output_tokens" must be an integer ≥ 1.';
  }
  const tools = translateTools(body.tools);
  if (typeof tools === 'string') return tools;
  const toolChoice = translateToolChoice(body.tool_choice);
  if (isObject(toolChoice) && typeof toolChoice.error === 'string') return toolChoice.error;
  const format = translateFormat(body.text);
  if (typeof format === 'string') return format;
  return parseInferenceRequest(
    {
      model: body.model,
      models: body.models,
      messages,
      max_tokens: maxOutput,
      temperature: body.temperature,
      stream: body.stream,
      tools,
      tool_choice: toolChoice,
      response_format: format,
      reasoning: body.reasoning,
      provider: body.provider,
      user: body.user,
      session_id: body.session_id,
    },
    'chat',
    defaultModel,
  );
}

function inputMessages(body: JsonObject): unknown[] | string {
  const messages: JsonObject[] = [];
  const instructions = body.instructions;
  if (typeof instructions === 'string') {
    if (instructions !== '') messages.push({ role: 'system', content: instructions });
  } else if (instructions !== undefined && instructions !== null) {
    return '"instructions" must be a string.';
  }
  const input = body.input;
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return messages;
  }
  if (!Array.isArray(input) || input.length === 0)
    return 'Input required: "input" must be a string or a non-empty array of items.';
  for (const [i, item] of input.entries()) {
    if (!isObject(item)) return `input[${i}] must be an object.`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role;
      if (typeof role !== 'string' || !INPUT_ROLES.has(role))
        return `input[${i}].role must be one of user, assistant, system, developer.`;
      const content = translateContent(item.content, `input[${i}].content`);
      if (isError(content)) return content.error;
      messages.push({ role, content });
    } else if (type === 'function_call') {
      const callId = stringField(item, 'call_id');
      const name = stringField(item, 'name');
      const args = stringField(item, 'arguments');
      if (callId === undefined || name === undefined || args === undefined)
        return `input[${i}]: a function_call needs string call_id, name and arguments.`;
      const toolCall = { id: callId, type: 'function', function: { name, arguments: args } };
      const previous = messages.at(-1);
      // Parallel calls of one assistant turn arrive as consecutive items: one chat message.
      if (previous?.role === 'assistant' && previous.content === null && Array.isArray(previous.tool_calls))
        previous.tool_calls.push(toolCall);
      else messages.push({ role: 'assistant', content: null, tool_calls: [toolCall] });
    } else if (type === 'function_call_output') {
      const callId = stringField(item, 'call_id');
      if (callId === undefined) return `input[${i}].call_id must be a string.`;
      const output = item.output;
      const content =
        typeof output === 'string' || Array.isArray(output)
          ? translateContent(output, `input[${i}].output`)
          : JSON.stringify(output ?? '');
      if (isError(content)) return content.error;
      messages.push({ role: 'tool', tool_call_id: callId, content });
    } else if (type !== 'reasoning') {
      return `input[${i}].type "${String(type)}" is not supported (message, function_call, function_call_output, reasoning).`;
    }
  }
  if (messages.length === 0) return 'Input required: "input" holds no message.';
  return messages;
}

type Translated = string | JsonObject[] | { error: string };

const isError = (value: Translated): value is { error: string } =>
  typeof value === 'object' && !Array.isArray(value);

/** Content as chat content (a string or chat parts). */
function translateContent(content: unknown, where: string): Translated {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return { error: `${where} must be a string or an array of content parts.` };
  const parts: JsonObject[] = [];
  for (const [j, part] of content.entries()) {
    if (!isObject(part)) return { error: `${where}[${j}] must be an object.` };
    const marker = isObject(part.cache_control) ? { cache_control: part.cache_control } : {};
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        parts.push({ type: 'text', text: stringField(part, 'text') ?? '', ...marker });
        break;
      case 'refusal':
        parts.push({ type: 'text', text: stringField(part, 'refusal') ?? '', ...marker });
        break;
      case 'input_image':
        parts.push({
          type: 'image_url',
          image_url: { url: stringField(part, 'image_url') ?? stringField(part, 'file_id') ?? '' },
          ...marker,
        });
        break;
      case 'input_file':
        parts.push({
          type: 'file',
          file: {
            filename: stringField(part, 'filename') ?? null,
            file_data: stringField(part, 'file_data') ?? stringField(part, 'file_url') ?? '',
          },
          ...marker,
        });
        break;
      default:
        parts.push(part); // e.g. input_audio: counted as chat counts it
    }
  }
  return parts;
}

function translateTools(value: unknown): JsonObject[] | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return '"tools" must be an array.';
  const tools: JsonObject[] = [];
  for (const [i, tool] of value.entries()) {
    if (!isObject(tool)) return `tools[${i}] must be an object.`;
    if (tool.type !== 'function') continue; // server tools (web search, openrouter:*) run on OpenRouter's side
    const name = stringField(tool, 'name');
    if (name === undefined || !TOOL_NAME.test(name))
      return `tools[${i}].name must be 1–64 characters of [a-zA-Z0-9_-].`;
    const fn: JsonObject = { name, parameters: tool.parameters ?? { type: 'object', properties: {} } };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    tools.push({ type: 'function', function: fn });
  }
  return tools;
}

function translateToolChoice(value: unknown): unknown {
  if (value === undefined || value === null || value === 'none' || value === 'auto' || value === 'required')
    return value;
  if (isObject(value) && value.type === 'function' && typeof value.name === 'string')
    return { type: 'function', function: { name: value.name } };
  return { error: '"tool_choice" must be "none", "auto", "required" or {type:"function", name}.' };
}

function translateFormat(text: unknown): JsonObject | undefined | string {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) return '"text" must be an object.';
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) return '"text.format" must be an object.';
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      if (!('schema' in format)) return '"text.format.schema" is required for type json_schema.';
      return {
        type: 'json_schema',
        json_schema: { name: format.name, schema: format.schema, strict: format.strict },
      };
    default:
      return '"text.format.type" must be text, json_object or json_schema.';
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

type Status = 'completed' | 'incomplete' | 'failed';

function statusOf(answer: Answer): Status {
  if (answer.finishReason === 'error') return 'failed';
  if (answer.finishReason === 'length' || answer.finishReason === 'content_filter') return 'incomplete';
  return 'completed';
}

const itemIds = (call: ServedCall) => {
  const suffix = idSuffix(call.id);
  return {
    reasoning: `rs_${suffix}`,
    message: `msg_${suffix}`,
    call: (index: number) => `fc_${suffix}_${index}`,
  };
};

/** The finished output item of a block. */
function outputItem(call: ServedCall, block: OutputBlock, index: number): JsonObject {
  const ids = itemIds(call);
  const status = statusOf(call.answer) === 'completed' ? 'completed' : 'incomplete';
  switch (block.type) {
    case 'reasoning':
      return { type: 'reasoning', id: ids.reasoning, summary: [{ type: 'summary_text', text: block.text }] };
    case 'text':
      return {
        type: 'message',
        id: ids.message,
        status,
        role: 'assistant',
        content: [{ type: 'output_text', text: block.text, annotations: [] }],
      };
    case 'tool':
      return {
        type: 'function_call',
        id: ids.call(index),
        call_id: block.call.id,
        name: block.call.name,
        arguments: block.call.arguments,
        status,
      };
  }
}

function responsesUsage(usage: TokenUsage, settlement: Settlement): JsonObject {
  const charge = settlement.charge;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens, cache_write_tokens: usage.cacheWriteTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.promptTokens + usage.completionTokens,
    cost: usdToNumber(charge.charged),
    is_byok: charge.isByok,
    cost_details: {
      // What the BYOK provider account paid; null when OpenRouter's own credits paid (contract).
      upstream_inference_cost: charge.isByok ? usdToNumber(charge.fullCost) : null,
      upstream_inference_input_cost: usdToNumber(charge.promptCost),
      upstream_inference_output_cost: usdToNumber(charge.completionCost),
    },
  };
}

function inProgress(call: ServedCall): JsonObject {
  return {
    id: call.id,
    object: 'response',
    created_at: call.created,
    completed_at: null,
    model: call.model,
    status: 'in_progress',
    incomplete_details: null,
    error: null,
    output: [],
    output_text: '',
    usage: null,
  };
}

/** The final `response` object: the JSON body, and the payload of the terminal stream event. */
function finalResponse(call: ServedCall, result: CallResult): JsonObject {
  const a = call.answer;
  const status = statusOf(a);
  const blocks = outputBlocks(a);
  const response: JsonObject = {
    ...inProgress(call),
    completed_at: status === 'completed' ? result.completedAt : null,
    status,
    incomplete_details:
      status === 'incomplete'
        ? { reason: a.finishReason === 'content_filter' ? 'content_filter' : 'max_output_tokens' }
        : null,
    output: blocks.map((block, index) => outputItem(call, block, index)),
    output_text: a.content ?? '',
    usage: responsesUsage(result.usage, result.settlement),
  };
  if (status === 'failed') {
    const error = failure(a);
    response.error = { code: 'server_error', message: error.message };
    response.error_type = error.errorType;
  }
  return response;
}

/** The in-band failure of an answer (mid-stream-error, finish-error). */
function failure(answer: Answer): { message: string; errorType: string } {
  if (answer.error !== null) {
    const type = answer.error.metadata.error_type;
    return { message: answer.error.message, errorType: typeof type === 'string' ? type : 'server' };
  }
  return {
    message: `The provider ended the generation with an error (${answer.nativeFinishReason ?? 'error'}).`,
    errorType: 'provider_unavailable',
  };
}

function streamPlan(call: ServedCall): StreamPlan<CallResult> {
  let sequence = 0;
  const event = (type: string, data: JsonObject): string =>
    encodeSseEvent({ event: type, data: { type, ...data, sequence_number: sequence++ } });
  const ids = itemIds(call);
  const itemId = (block: OutputBlock, index: number) =>
    block.type === 'reasoning' ? ids.reasoning : block.type === 'text' ? ids.message : ids.call(index);

  const events: BlockEvents = {
    open(block, index) {
      const item_id = itemId(block, index);
      const base = { output_index: index };
      switch (block.type) {
        case 'reasoning':
          return (
            event('response.output_item.added', {
              ...base,
              item: { type: 'reasoning', id: item_id, summary: [] },
            }) +
            event('response.reasoning_summary_part.added', {
              item_id,
              ...base,
              summary_index: 0,
              part: { type: 'summary_text', text: '' },
            })
          );
        case 'text':
          return (
            event('response.output_item.added', {
              ...base,
              item: { type: 'message', id: item_id, status: 'in_progress', role: 'assistant', content: [] },
            }) +
            event('response.content_part.added', {
              item_id,
              ...base,
              content_index: 0,
              part: { type: 'output_text', text: '', annotations: [] },
            })
          );
        case 'tool':
          return event('response.output_item.added', {
            ...base,
            item: {
              type: 'function_call',
              id: item_id,
              call_id: block.call.id,
              name: block.call.name,
              arguments: '',
              status: 'in_progress',
            },
          });
      }
    },
    delta(block, index, delta) {
      const item_id = itemId(block, index);
      switch (block.type) {
        case 'reasoning':
          return event('response.reasoning_summary_text.delta', {
            item_id,
            output_index: index,
            summary_index: 0,
            delta,
          });
        case 'text':
          return event('response.output_text.delta', {
            item_id,
            output_index: index,
            content_index: 0,
            delta,
          });
        case 'tool':
          return event('response.function_call_arguments.delta', { item_id, output_index: index, delta });
      }
    },
    close(block, index) {
      const item_id = itemId(block, index);
      let closing: string;
      switch (block.type) {
        case 'reasoning': {
          const part = { type: 'summary_text', text: block.text };
          const at = { item_id, output_index: index, summary_index: 0 };
          closing =
            event('response.reasoning_summary_text.done', { ...at, text: block.text }) +
            event('response.reasoning_summary_part.done', { ...at, part });
          break;
        }
        case 'text': {
          const at = { item_id, output_index: index, content_index: 0 };
          const part = { type: 'output_text', text: block.text, annotations: [] };
          closing =
            event('response.output_text.done', { ...at, text: block.text }) +
            event('response.content_part.done', { ...at, part });
          break;
        }
        case 'tool':
          closing = event('response.function_call_arguments.done', {
            item_id,
            output_index: index,
            arguments: block.call.arguments,
          });
          break;
      }
      // Built last: sequence numbers follow the wire order.
      return (
        closing +
        event('response.output_item.done', { output_index: index, item: outputItem(call, block, index) })
      );
    },
  };

  const start = inProgress(call);
  const head =
    PROCESSING_COMMENT +
    event('response.created', { response: start }) +
    event('response.in_progress', { response: start });
  const frames = assembleFrames(call.answer, outputBlocks(call.answer), events);
  return {
    head,
    frames,
    tail(result) {
      const response = finalResponse(call, result);
      return event(`response.${String(response.status)}`, { response });
    },
  };
}

export const responsesDialect: Dialect = {
  parse: parseResponsesRequest,
  reply: (call, result) => ({ status: 200, body: finalResponse(call, result) }),
  stream: (call) => streamPlan(call),
};
