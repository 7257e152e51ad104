import { z } from 'zod';
import { ReasoningDetailSchema } from './chat-messages.ts';
import { FinishReasonSchema, LogprobsSchema } from './chat-response.ts';
import { ErrorObjectSchema } from './error-envelope.ts';
import { JsonObjectSchema, nullishNumber, nullishString } from './schema-helpers.ts';
import { ChatUsageSchema } from './usage.ts';

/** §5.3: tool-call fragment; the first one for an `index` carries `id` and the name. */
export const ToolCallDeltaSchema = z.looseObject({
  index: z.number(),
  id: nullishString,
  type: nullishString,
  function: z.looseObject({ name: nullishString, arguments: nullishString }).nullish(),
});
export type ToolCallDelta = z.infer<typeof ToolCallDeltaSchema>;

export const ChatDeltaSchema = z.looseObject({
  role: nullishString,
  content: nullishString,
  reasoning: nullishString,
  reasoning_details: z.array(ReasoningDetailSchema).nullish(),
  refusal: nullishString,
  tool_calls: z.array(ToolCallDeltaSchema).nullish(),
  audio: JsonObjectSchema.nullish(),
  images: z.array(JsonObjectSchema).nullish(),
});
export type ChatDelta = z.infer<typeof ChatDeltaSchema>;

export const ChunkChoiceSchema = z.looseObject({
  index: z.number(),
  // Some providers omit the delta on the usage or error frame.
  delta: ChatDeltaSchema.nullish(),
  finish_reason: FinishReasonSchema.nullish(),
  native_finish_reason: nullishString,
  logprobs: LogprobsSchema.nullish(),
  error: ErrorObjectSchema.optional(),
});
export type ChunkChoice = z.infer<typeof ChunkChoiceSchema>;

/**
 * §5: one `data:` payload of a chat stream. Everything but `choices` may be absent on odd frames
 * (debug, error), and the usage frame has three shapes in the wild (§5.4): empty `choices`, one
 * choice repeating `finish_reason`, or one choice with `finish_reason: null`.
 */
export const ChatCompletionChunkSchema = z.looseObject({
  id: nullishString,
  provider: nullishString,
  model: nullishString,
  object: nullishString,
  created: nullishNumber,
  choices: z.array(ChunkChoiceSchema).nullish(),
  usage: ChatUsageSchema.nullish(),
  /** §5.5: a mid-stream failure; the HTTP status was already 200. */
  error: ErrorObjectSchema.optional(),
  system_fingerprint: nullishString,
  service_tier: nullishString,
  debug: JsonObjectSchema.optional(),
  openrouter_metadata: JsonObjectSchema.nullish(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;
