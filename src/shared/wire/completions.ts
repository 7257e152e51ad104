import { z } from 'zod';
import { ReasoningConfigSchema, ResponseFormatSchema } from './chat-request.ts';
import { LogprobsSchema } from './chat-response.ts';
import { ErrorObjectSchema } from './error-envelope.ts';
import { ProviderPreferencesSchema } from './provider-preferences.ts';
import { nullishBoolean, nullishNumber, nullishString } from './schema-helpers.ts';
import { ChatUsageSchema } from './usage.ts';

/** §11.2 legacy `POST /completions` (served status unconfirmed). */
export const CompletionRequestSchema = z.looseObject({
  model: z.string(),
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  models: z.array(z.string()).optional(),
  max_tokens: nullishNumber,
  temperature: nullishNumber,
  top_p: nullishNumber,
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: nullishNumber,
  frequency_penalty: nullishNumber,
  presence_penalty: nullishNumber,
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: nullishNumber,
  echo: nullishBoolean,
  suffix: nullishString,
  best_of: nullishNumber,
  n: nullishNumber,
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  response_format: ResponseFormatSchema.optional(),
  provider: ProviderPreferencesSchema.nullish(),
  reasoning: ReasoningConfigSchema.optional(),
  transforms: z.array(z.string()).optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/** The legacy request without `stream` (the client sets it). */
export const CompletionCreateParamsSchema = CompletionRequestSchema.omit({ stream: true });
export type CompletionCreateParams = z.infer<typeof CompletionCreateParamsSchema>;

export const CompletionChoiceSchema = z.looseObject({
  index: z.number(),
  text: z.string(),
  finish_reason: nullishString,
  native_finish_reason: nullishString,
  logprobs: z.union([LogprobsSchema, z.looseObject({})]).nullish(),
  error: ErrorObjectSchema.optional(),
});

export const CompletionSchema = z.looseObject({
  id: z.string(),
  object: nullishString,
  created: nullishNumber,
  model: z.string(),
  provider: nullishString,
  system_fingerprint: nullishString,
  choices: z.array(CompletionChoiceSchema),
  usage: ChatUsageSchema.optional(),
});
export type Completion = z.infer<typeof CompletionSchema>;
