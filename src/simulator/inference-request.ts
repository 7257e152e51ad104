import {
  booleanField,
  isObject,
  type JsonObject,
  numberField,
  objectField,
  stringField,
  stringList,
} from './json-util.ts';
import { countTextTokens } from './tokenizer.ts';

/** A chat or legacy completion request, validated and reduced to what the simulator acts on. */
export interface InferenceRequest {
  kind: 'chat' | 'completion';
  messages: unknown[];
  /** Primary model first, then the `models` fallbacks, without duplicates. */
  modelIds: string[];
  stream: boolean;
  maxTokens: number | null;
  reasoning: ReasoningRequest;
  responseFormat: ResponseFormat;
  tools: ToolDefinition[];
  toolChoice: 'none' | 'auto' | 'required' | { name: string };
  provider: ProviderPreferences;
  user: string | null;
  sessionId: string | null;
  cacheControl: boolean;
  /** Tokens of tool definitions and the response schema, added to the prompt. */
  extraPromptTokens: number;
}

export interface ReasoningRequest {
  /** true/false when the request says so, null when it does not mention reasoning. */
  enabled: boolean | null;
  exclude: boolean;
  effort: string | null;
  maxTokens: number | null;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; schema: unknown };

export interface ToolDefinition {
  name: string;
  parameters: unknown;
}

export interface ProviderPreferences {
  order: string[] | null;
  only: string[] | null;
  ignore: string[] | null;
  allowFallbacks: boolean;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** The request, or a 400 message. */
export function parseInferenceRequest(
  body: unknown,
  kind: 'chat' | 'completion',
  defaultModel: string,
): InferenceRequest | string {
  if (!isObject(body)) return 'Request body must be a JSON object.';
  const messages = kind === 'chat' ? chatMessages(body) : promptMessages(body);
  if (typeof messages === 'string') return messages;

  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') return '"model" must be a string.';
  const fallbacks = body.models;
  if (
    fallbacks !== undefined &&
    !(Array.isArray(fallbacks) && fallbacks.every((m) => typeof m === 'string'))
  ) {
    return '"models" must be an array of model ids.';
  }
  const ids = [...(typeof model === 'string' && model !== '' ? [model] : []), ...(fallbacks ?? [])];
  const modelIds = [...new Set(ids.length > 0 ? ids : [defaultModel])];

  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? null;
  if (
    maxTokens !== null &&
    !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1)
  ) {
    return '"max_tokens" must be an integer ≥ 1.';
  }
  const temperature = body.temperature;
  if (
    temperature !== undefined &&
    temperature !== null &&
    !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)
  ) {
    return '"temperature" must be a number between 0 and 2.';
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    return '"stream" must be a boolean.';

  const responseFormat = parseResponseFormat(body.response_format);
  if (typeof responseFormat === 'string') return responseFormat;
  const tools = parseTools(body.tools);
  if (typeof tools === 'string') return tools;
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  if (typeof toolChoice === 'object' && 'error' in toolChoice) return toolChoice.error;

  let extraPromptTokens = 0;
  if (Array.isArray(body.tools) && body.tools.length > 0)
    extraPromptTokens += countTextTokens(JSON.stringify(body.tools));
  if (responseFormat.type === 'json_schema')
    extraPromptTokens += countTextTokens(JSON.stringify(responseFormat.schema));

  return {
    kind,
    messages,
    modelIds,
    stream: body.stream === true,
    maxTokens,
    reasoning: parseReasoning(body),
    responseFormat,
    tools,
    toolChoice,
    provider: parseProvider(objectField(body, 'provider')),
    user: stringField(body, 'user') ?? null,
    sessionId:
      stringField(body, 'session_id') ??
      (typeof body.session_id === 'number' ? String(body.session_id) : null),
    cacheControl: isObject(body.cache_control),
    extraPromptTokens,
  };
}

function chatMessages(body: JsonObject): unknown[] | string {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    return 'Input required: specify "prompt" or "messages"';
  for (const [i, message] of messages.entries()) {
    if (!isObject(message)) return `messages[${i}] must be an object.`;
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      return `messages[${i}].role must be one of system, developer, user, assistant, tool.`;
    }
    const content = message.content;
    const okContent =
      typeof content === 'string' ||
      Array.isArray(content) ||
      (role === 'assistant' && (content === null || content === undefined));
    if (!okContent) return `messages[${i}].content must be a string or an array of content parts.`;
  }
  return messages;
}

function promptMessages(body: JsonObject): unknown[] | string {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return [{ role: 'user', content: prompt }];
  if (Array.isArray(prompt) && prompt.length > 0) {
    // Token-id prompts count one token per id; text arrays are joined.
    const text = prompt
      .map((p) => (typeof p === 'string' ? p : Array.isArray(p) ? 'tok '.repeat(p.length) : 'tok '))
      .join('\n');
    return [{ role: 'user', content: text }];
  }
  return 'Input required: specify "prompt" or "messages"';
}

function parseResponseFormat(value: unknown): ResponseFormat | string {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isObject(value)) return '"response_format" must be an object.';
  const type = stringField(value, 'type');
  if (type === 'json_object') return { type: 'json_object' };
  if (type === 'json_schema') {
    const spec = objectField(value, 'json_schema');
    if (spec === undefined || !('schema' in spec))
      return '"response_format.json_schema.schema" is required for type json_schema.';
    return { type: 'json_schema', schema: spec.schema };
  }
  return { type: 'text' };
}

function parseTools(value: unknown): ToolDefinition[] | string {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return '"tools" must be an array.';
  const tools: ToolDefinition[] = [];
  for (const [i, tool] of value.entries()) {
    if (!isObject(tool)) return `tools[${i}] must be an object.`;
    if (tool.type !== 'function') continue; // server tools (openrouter:*) run on OpenRouter's side
    const fn = objectField(tool, 'function');
    const name = fn === undefined ? undefined : stringField(fn, 'name');
    if (fn === undefined || name === undefined || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      return `tools[${i}].function.name must be 1–64 characters of [a-zA-Z0-9_-].`;
    }
    tools.push({ name, parameters: fn.parameters ?? { type: 'object', properties: {} } });
  }
  return tools;
}

function parseToolChoice(
  value: unknown,
  tools: ToolDefinition[],
): InferenceRequest['toolChoice'] | { error: string } {
  if (value === undefined || value === null) return 'auto';
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (isObject(value)) {
    const fn = objectField(value, 'function');
    const name = fn === undefined ? undefined : stringField(fn, 'name');
    if (name !== undefined) {
      if (!tools.some((t) => t.name === name))
        return { error: `tool_choice names "${name}", which is not in "tools".` };
      return { name };
    }
    return 'auto';
  }
  return { error: '"tool_choice" must be "none", "auto", "required" or {type:"function", function:{name}}.' };
}

function parseReasoning(body: JsonObject): ReasoningRequest {
  const reasoning = objectField(body, 'reasoning');
  const include = booleanField(body, 'include_reasoning');
  const effort =
    (reasoning === undefined ? undefined : stringField(reasoning, 'effort')) ??
    stringField(body, 'reasoning_effort') ??
    null;
  const maxTokens = reasoning === undefined ? undefined : numberField(reasoning, 'max_tokens');
  let enabled: boolean | null = null;
  if (reasoning !== undefined || include === true || effort !== null) enabled = true;
  if (effort === 'none' || (reasoning !== undefined && reasoning.enabled === false)) enabled = false;
  const exclude = (reasoning !== undefined && reasoning.exclude === true) || include === false;
  return {
    enabled,
    exclude,
    effort,
    maxTokens: maxTokens === undefined ? null : Math.max(0, Math.floor(maxTokens)),
  };
}

function parseProvider(provider: JsonObject | undefined): ProviderPreferences {
  if (provider === undefined) return { order: null, only: null, ignore: null, allowFallbacks: true };
  return {
    order: stringList(provider.order) ?? null,
    only: stringList(provider.only) ?? null,
    ignore: stringList(provider.ignore) ?? null,
    allowFallbacks: provider.allow_fallbacks !== false,
  };
}
