import { z } from 'zod';
import { nullishBoolean, nullishNumber, nullishString } from './schema-helpers.ts';

/** One routing attempt (fallbacks included) as `/generation` reports it. */
export const ProviderResponseSchema = z.looseObject({
  provider_name: nullishString,
  status: nullishNumber,
  id: nullishString,
  endpoint_id: nullishString,
  model_permaslug: nullishString,
  latency: nullishNumber,
  is_byok: nullishBoolean,
  routed_service_tier: nullishString,
});
export type ProviderResponse = z.infer<typeof ProviderResponseSchema>;

/**
 * §7. The spec marks most fields required, but older records (see the fixtures) omit many of them,
 * so only `id` and `total_cost` are certain.
 */
export const GenerationSchema = z.looseObject({
  id: z.string(),
  total_cost: z.number(),
  request_id: nullishString,
  upstream_id: nullishString,
  created_at: nullishString,
  model: nullishString,
  provider_name: nullishString,
  api_type: nullishString,
  router: nullishString,
  app_id: nullishNumber,
  http_referer: nullishString,
  user_agent: nullishString,
  origin: nullishString,
  external_user: nullishString,
  session_id: nullishString,
  preset_id: nullishString,
  workspace_id: nullishString,
  data_region: nullishString,
  streamed: nullishBoolean,
  cancelled: nullishBoolean,
  is_byok: nullishBoolean,
  /** USD; equal to `total_cost` in every capture. */
  usage: nullishNumber,
  cache_discount: nullishNumber,
  upstream_inference_cost: nullishNumber,
  latency: nullishNumber,
  generation_time: nullishNumber,
  moderation_latency: nullishNumber,
  finish_reason: nullishString,
  native_finish_reason: nullishString,
  tokens_prompt: nullishNumber,
  tokens_completion: nullishNumber,
  native_tokens_prompt: nullishNumber,
  native_tokens_completion: nullishNumber,
  native_tokens_reasoning: nullishNumber,
  native_tokens_cached: nullishNumber,
  native_tokens_completion_images: nullishNumber,
  num_media_prompt: nullishNumber,
  num_media_completion: nullishNumber,
  num_input_audio_prompt: nullishNumber,
  num_search_results: nullishNumber,
  num_fetches: nullishNumber,
  web_search_engine: nullishString,
  service_tier: nullishString,
  response_cache_source_id: nullishString,
  provider_responses: z.array(ProviderResponseSchema).nullish(),
});
export type Generation = z.infer<typeof GenerationSchema>;

export const GenerationResponseSchema = z.looseObject({ data: GenerationSchema });
export type GenerationResponse = z.infer<typeof GenerationResponseSchema>;
