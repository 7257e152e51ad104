import { z } from 'zod';
import { CacheControlSchema, MessageSchema, TextPartSchema } from './chat-messages.ts';
import { ProviderPreferencesSchema } from './provider-preferences.ts';
import { JsonObjectSchema, nullishBoolean, nullishNumber, openEnum } from './schema-helpers.ts';

export const FunctionToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string(),
    description: z.string().optional(),
    parameters: JsonObjectSchema.optional(),
    strict: nullishBoolean,
  }),
  cache_control: CacheControlSchema.optional(),
});

/** OpenRouter server tools (`openrouter:web_search`, ...) and shorthands such as `web_search_preview`. */
export const ServerToolSchema = z.looseObject({
  type: z.string().refine((type) => type !== 'function', 'function tools need a `function` object'),
});

export const ToolSchema = z.union([FunctionToolSchema, ServerToolSchema]);
export type Tool = z.infer<typeof ToolSchema>;

export const ToolChoiceSchema = z.union([
  openEnum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
  z.looseObject({ type: z.string() }),
]);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

export const ResponseFormatSchema = z.union([
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      schema: JsonObjectSchema.optional(),
      strict: nullishBoolean,
    }),
  }),
  z.looseObject({ type: z.literal('grammar'), grammar: z.string() }),
  z.looseObject({ type: z.literal('python') }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

export const ReasoningEffortSchema = openEnum(['max', 'xhigh', 'high', 'medium', 'low', 'minimal', 'none']);

/** §3.5: use `effort` or `max_tokens`, not both. */
export const ReasoningConfigSchema = z.looseObject({
  effort: ReasoningEffortSchema.nullish(),
  max_tokens: nullishNumber,
  exclude: nullishBoolean,
  enabled: nullishBoolean,
  summary: openEnum(['auto', 'concise', 'detailed']).nullish(),
  context: openEnum(['auto', 'all_turns', 'current_turn']).nullish(),
  mode: openEnum(['standard', 'pro']).nullish(),
});
export type ReasoningConfig = z.infer<typeof ReasoningConfigSchema>;

/** §3.7: discriminated by `id`; options differ per plugin and stay open. */
export const PluginSchema = z.looseObject({
  id: openEnum([
    'web',
    'web-fetch',
    'file-parser',
    'response-healing',
    'context-compression',
    'moderation',
    'auto-router',
    'auto-beta-router',
    'pareto-router',
    'fusion',
  ]),
  enabled: z.boolean().optional(),
});
export type Plugin = z.infer<typeof PluginSchema>;

const StopSchema = z.union([z.string(), z.array(z.string())]).nullish();

/** §3: the body of `POST /chat/completions`. Unknown fields pass through untouched. */
export const ChatCompletionRequestSchema = z.looseObject({
  messages: z.array(MessageSchema),
  model: z.string().optional(),
  models: z.array(z.string()).optional(),
  route: openEnum(['fallback', 'sort']).nullish(),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: nullishNumber,
  max_completion_tokens: nullishNumber,
  temperature: nullishNumber,
  top_p: nullishNumber,
  top_k: nullishNumber,
  min_p: nullishNumber,
  top_a: nullishNumber,
  frequency_penalty: nullishNumber,
  presence_penalty: nullishNumber,
  repetition_penalty: nullishNumber,
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: nullishBoolean,
  top_logprobs: nullishNumber,
  seed: nullishNumber,
  stop: StopSchema,
  response_format: ResponseFormatSchema.optional(),
  tools: z.array(ToolSchema).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: nullishBoolean,
  reasoning: ReasoningConfigSchema.optional(),
  reasoning_effort: ReasoningEffortSchema.nullish(),
  include_reasoning: z.boolean().optional(),
  verbosity: openEnum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  web_search_options: JsonObjectSchema.optional(),
  prediction: z
    .looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(TextPartSchema)]) })
    .optional(),
  modalities: z.array(openEnum(['text', 'image', 'audio'])).optional(),
  audio: z.looseObject({ voice: z.string(), format: z.string() }).optional(),
  image_config: JsonObjectSchema.optional(),
  provider: ProviderPreferencesSchema.nullish(),
  plugins: z.array(PluginSchema).optional(),
  transforms: z.array(z.string()).optional(),
  usage: z.looseObject({ include: z.boolean().optional() }).optional(),
  user: z.string().optional(),
  session_id: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  trace: JsonObjectSchema.optional(),
  cache_control: CacheControlSchema.optional(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_options: z.looseObject({ mode: z.string(), ttl: z.string().optional() }).optional(),
  service_tier: openEnum(['auto', 'default', 'fast', 'flex', 'priority', 'scale']).nullish(),
  debug: z.looseObject({ echo_upstream_body: z.boolean().optional() }).optional(),
  stop_server_tools_when: z.array(z.unknown()).optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** The request as the client's functions take it: `stream` is set by the function called. */
export const ChatCompletionCreateParamsSchema = ChatCompletionRequestSchema.omit({ stream: true });
export type ChatCompletionCreateParams = z.infer<typeof ChatCompletionCreateParamsSchema>;
