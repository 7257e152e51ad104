import { z } from 'zod';
import { JsonObjectSchema, nullishString } from './schema-helpers.ts';

/**
 * §6.1 `error` object. `code` is the HTTP-like status as a number; older payloads use strings
 * such as "server_error", so both are accepted.
 */
export const ErrorObjectSchema = z.looseObject({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
  metadata: JsonObjectSchema.nullish(),
});
export type ErrorObject = z.infer<typeof ErrorObjectSchema>;

export const ErrorEnvelopeSchema = z.looseObject({
  error: ErrorObjectSchema,
  user_id: nullishString,
  openrouter_metadata: JsonObjectSchema.nullish(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** §6.4 metadata of a 403 raised because a moderated model flagged the input. */
export const ModerationMetadataSchema = z.looseObject({
  reasons: z.array(z.string()),
  flagged_input: z.string().optional(),
  provider_name: z.string().optional(),
  model_slug: z.string().optional(),
});

/** §6.4 metadata of a 402. */
export const CreditLimitMetadataSchema = z.looseObject({
  limit_source: z.string().optional(),
  reason: z.string().optional(),
  remedy_hint: z.string().optional(),
});
