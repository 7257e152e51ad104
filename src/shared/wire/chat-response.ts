import { z } from 'zod';
import { AnnotationSchema, ReasoningDetailSchema, ToolCallSchema } from './chat-messages.ts';
import { ErrorObjectSchema } from './error-envelope.ts';
import { JsonObjectSchema, nullishString, openEnum } from './schema-helpers.ts';
import { ChatUsageSchema } from './usage.ts';

/** §4.1: normalized values; anything else appears only in `native_finish_reason`. */
export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'error'] as const;
export const FinishReasonSchema = openEnum(FINISH_REASONS);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

const TopLogprobSchema = z.looseObject({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number()).nullish(),
});
export const LogprobsSchema = z.looseObject({
  content: z.array(TopLogprobSchema.extend({ top_logprobs: z.array(TopLogprobSchema).nullish() })).nullish(),
  refusal: z.array(z.unknown()).nullish(),
});

/** Response message content is normally a string; some providers pass parts through. */
export const ResponseContentSchema = z.union([z.string(), z.array(JsonObjectSchema)]).nullish();

export const ResponseMessageSchema = z.looseObject({
  role: openEnum(['assistant']),
  content: ResponseContentSchema,
  refusal: nullishString,
  reasoning: nullishString,
  reasoning_details: z.array(ReasoningDetailSchema).nullish(),
  tool_calls: z.array(ToolCallSchema).nullish(),
  annotations: z.array(AnnotationSchema).nullish(),
  images: z.array(z.looseObject({ image_url: z.looseObject({ url: z.string() }) })).nullish(),
  audio: JsonObjectSchema.nullish(),
});
export type ResponseMessage = z.infer<typeof ResponseMessageSchema>;

export const ChatChoiceSchema = z.looseObject({
  index: z.number(),
  message: ResponseMessageSchema,
  finish_reason: FinishReasonSchema.nullish(),
  native_finish_reason: nullishString,
  logprobs: LogprobsSchema.nullish(),
  /** §6.5(3): in-band failure with partial output. */
  error: ErrorObjectSchema.nullish(),
});
export type ChatChoice = z.infer<typeof ChatChoiceSchema>;

/** §4: the body of a non-streamed `POST /chat/completions`. */
export const ChatCompletionSchema = z.looseObject({
  id: z.string(),
  provider: nullishString,
  model: z.string(),
  object: openEnum(['chat.completion']),
  created: z.number(),
  choices: z.array(ChatChoiceSchema),
  system_fingerprint: nullishString,
  service_tier: nullishString,
  usage: ChatUsageSchema.nullish(),
  openrouter_metadata: JsonObjectSchema.nullish(),
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;
