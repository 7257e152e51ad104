import { z } from 'zod';
import { PricingSchema } from './pricing.ts';
import { JsonObjectSchema, nullishBoolean, nullishNumber, nullishString } from './schema-helpers.ts';

export const ArchitectureSchema = z.looseObject({
  modality: nullishString,
  input_modalities: z.array(z.string()).nullish(),
  output_modalities: z.array(z.string()).nullish(),
  tokenizer: nullishString,
  instruct_type: nullishString,
});

/** §8.1. Only `id`, `name` and `pricing` are relied on; one odd model must not break a listing. */
export const ModelSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  pricing: PricingSchema,
  canonical_slug: nullishString,
  created: nullishNumber,
  description: nullishString,
  context_length: nullishNumber,
  architecture: ArchitectureSchema.nullish(),
  top_provider: z
    .looseObject({
      context_length: nullishNumber,
      max_completion_tokens: nullishNumber,
      is_moderated: nullishBoolean,
    })
    .nullish(),
  per_request_limits: z.looseObject({ prompt_tokens: z.unknown(), completion_tokens: z.unknown() }).nullish(),
  supported_parameters: z.array(z.string()).nullish(),
  default_parameters: JsonObjectSchema.nullish(),
  reasoning: z
    .looseObject({
      mandatory: nullishBoolean,
      default_enabled: nullishBoolean,
      default_effort: nullishString,
      supported_efforts: z.array(z.string()).nullish(),
      supports_max_tokens: nullishBoolean,
    })
    .nullish(),
  supported_voices: z.array(z.string()).nullish(),
  knowledge_cutoff: nullishString,
  expiration_date: nullishString,
  hugging_face_id: nullishString,
  links: z.looseObject({ details: nullishString }).nullish(),
  alias_target: z.looseObject({ slug: z.string(), name: nullishString }).nullish(),
  benchmarks: JsonObjectSchema.nullish(),
});
export type Model = z.infer<typeof ModelSchema>;

/** `GET /models`, `/models/user`, `/embeddings/models`. */
export const ModelListSchema = z.looseObject({
  data: z.array(ModelSchema),
  total_count: nullishNumber,
  links: z.looseObject({ next: nullishString }).nullish(),
});
export type ModelList = z.infer<typeof ModelListSchema>;

export const ModelResponseSchema = z.looseObject({ data: ModelSchema });
export type ModelResponse = z.infer<typeof ModelResponseSchema>;

export const ModelCountSchema = z.looseObject({ data: z.looseObject({ count: z.number() }) });
export type ModelCount = z.infer<typeof ModelCountSchema>;

const PercentileStatsSchema = z.looseObject({
  p50: nullishNumber,
  p75: nullishNumber,
  p90: nullishNumber,
  p99: nullishNumber,
});

/** §8.3 one provider endpoint of a model; per-endpoint pricing can differ from the model's. */
export const PublicEndpointSchema = z.looseObject({
  name: z.string(),
  pricing: PricingSchema,
  model_id: nullishString,
  model_name: nullishString,
  context_length: nullishNumber,
  max_completion_tokens: nullishNumber,
  max_prompt_tokens: nullishNumber,
  provider_name: nullishString,
  tag: nullishString,
  quantization: nullishString,
  status: nullishNumber,
  supported_parameters: z.array(z.string()).nullish(),
  supports_implicit_caching: nullishBoolean,
  supports_voice_cloning: nullishBoolean,
  uptime_last_5m: nullishNumber,
  uptime_last_30m: nullishNumber,
  uptime_last_1d: nullishNumber,
  latency_last_30m: PercentileStatsSchema.nullish(),
  throughput_last_30m: PercentileStatsSchema.nullish(),
});
export type PublicEndpoint = z.infer<typeof PublicEndpointSchema>;

export const ModelEndpointsSchema = z.looseObject({
  data: z.looseObject({
    id: z.string(),
    name: nullishString,
    created: nullishNumber,
    description: nullishString,
    architecture: ArchitectureSchema.nullish(),
    endpoints: z.array(PublicEndpointSchema),
  }),
});
export type ModelEndpoints = z.infer<typeof ModelEndpointsSchema>;

export const ProviderInfoSchema = z.looseObject({
  name: z.string(),
  slug: z.string(),
  privacy_policy_url: nullishString,
  terms_of_service_url: nullishString,
  status_page_url: nullishString,
  headquarters: nullishString,
  datacenters: z.array(z.string()).nullish(),
});
export type ProviderInfo = z.infer<typeof ProviderInfoSchema>;

export const ProviderListSchema = z.looseObject({ data: z.array(ProviderInfoSchema) });
export type ProviderList = z.infer<typeof ProviderListSchema>;

/** Legacy `GET /parameters/{author}/{slug}`. */
export const ModelParametersSchema = z.looseObject({
  data: z.looseObject({ model: nullishString, supported_parameters: z.array(z.string()) }),
});
export type ModelParameters = z.infer<typeof ModelParametersSchema>;
