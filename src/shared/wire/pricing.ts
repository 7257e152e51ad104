import { z } from 'zod';
import { DecimalStringSchema } from './schema-helpers.ts';

const price = DecimalStringSchema.optional();

/**
 * §8.2 `pricing.overrides[]`: conditional prices. An entry applies when all its conditions hold;
 * unknown condition keys pass through so the pricing code can skip such entries.
 */
export const PricingOverrideSchema = z.looseObject({
  min_prompt_tokens: z.number().nullish(),
  utc_start: z.union([z.string(), z.number()]).nullish(),
  utc_end: z.union([z.string(), z.number()]).nullish(),
  utc_days: z.array(z.union([z.string(), z.number()])).nullish(),
  prompt: price,
  completion: price,
  request: price,
  image: price,
  input_cache_read: price,
  input_cache_write: price,
  input_cache_write_1h: price,
  internal_reasoning: price,
});
export type PricingOverride = z.infer<typeof PricingOverrideSchema>;

/** §8.2: USD per unit as decimal strings; an absent key is not priced separately. */
export const PricingSchema = z.looseObject({
  prompt: DecimalStringSchema,
  completion: DecimalStringSchema,
  request: price,
  image: price,
  image_output: price,
  image_token: price,
  audio: price,
  audio_output: price,
  input_audio_cache: price,
  web_search: price,
  internal_reasoning: price,
  input_cache_read: price,
  input_cache_write: price,
  input_cache_write_1h: price,
  /** A number, not a string: prices are multiplied by `1 - discount`. */
  discount: z.number().nullish(),
  overrides: z.array(PricingOverrideSchema).nullish(),
});
export type Pricing = z.infer<typeof PricingSchema>;
