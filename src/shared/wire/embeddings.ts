import { z } from 'zod';
import { ProviderPreferencesSchema } from './provider-preferences.ts';
import {
  JsonObjectSchema,
  nullishBoolean,
  nullishNumber,
  nullishString,
  openEnum,
} from './schema-helpers.ts';

/** §11.1 `POST /embeddings`. */
export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string(),
  input: z.union([
    z.string(),
    z.array(z.string()),
    z.array(z.number()),
    z.array(z.array(z.number())),
    z.array(JsonObjectSchema),
  ]),
  dimensions: z.number().optional(),
  encoding_format: openEnum(['float', 'base64']).optional(),
  input_type: z.string().optional(),
  provider: ProviderPreferencesSchema.nullish(),
  user: z.string().optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

export const EmbeddingsUsageSchema = z.looseObject({
  prompt_tokens: z.number(),
  total_tokens: z.number(),
  cost: nullishNumber,
  is_byok: nullishBoolean,
  cost_details: JsonObjectSchema.nullish(),
  prompt_tokens_details: JsonObjectSchema.nullish(),
});

export const EmbeddingsResponseSchema = z.looseObject({
  id: nullishString,
  object: nullishString,
  model: z.string(),
  data: z.array(
    z.looseObject({
      object: nullishString,
      index: z.number(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: EmbeddingsUsageSchema.nullish(),
  provider: nullishString,
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>;
