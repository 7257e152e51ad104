import { z } from 'zod';
import { nullishBoolean, openEnum } from './schema-helpers.ts';

/** Percentile thresholds (`preferred_min_throughput` / `preferred_max_latency` object form). */
const PercentilesSchema = z.looseObject({
  p50: z.number().nullish(),
  p75: z.number().nullish(),
  p90: z.number().nullish(),
  p99: z.number().nullish(),
});

export const ProviderSortSchema = z.union([
  openEnum(['price', 'throughput', 'latency', 'exacto']),
  z.looseObject({
    by: openEnum(['price', 'throughput', 'latency', 'exacto']),
    partition: openEnum(['model', 'none']).nullish(),
  }),
]);

/**
 * `provider.max_price`: prompt/completion in USD per million tokens. The docs show numbers and the
 * spec types them as strings, so both are accepted and forwarded as given.
 */
const PriceLimitSchema = z.union([z.number(), z.string()]);
export const MaxPriceSchema = z.looseObject({
  prompt: PriceLimitSchema.optional(),
  completion: PriceLimitSchema.optional(),
  request: PriceLimitSchema.optional(),
  image: PriceLimitSchema.optional(),
  audio: PriceLimitSchema.optional(),
});

/** §3.6 routing preferences. */
export const ProviderPreferencesSchema = z.looseObject({
  order: z.array(z.string()).nullish(),
  allow_fallbacks: nullishBoolean,
  require_parameters: nullishBoolean,
  data_collection: openEnum(['allow', 'deny']).nullish(),
  zdr: nullishBoolean,
  enforce_distillable_text: nullishBoolean,
  only: z.array(z.string()).nullish(),
  ignore: z.array(z.string()).nullish(),
  quantizations: z
    .array(
      openEnum([
        'int4',
        'int8',
        'fp4',
        'mxfp4',
        'nvfp4',
        'fp6',
        'fp8',
        'mxfp8',
        'fp16',
        'bf16',
        'fp32',
        'unknown',
      ]),
    )
    .nullish(),
  sort: ProviderSortSchema.nullish(),
  preferred_min_throughput: z.union([z.number(), PercentilesSchema]).nullish(),
  preferred_max_latency: z.union([z.number(), PercentilesSchema]).nullish(),
  max_price: MaxPriceSchema.nullish(),
});
export type ProviderPreferences = z.infer<typeof ProviderPreferencesSchema>;
