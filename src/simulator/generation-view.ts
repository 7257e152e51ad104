import { usdToNumber } from './decimal.ts';
import type { GenerationRecord, ProviderAttempt } from './generations.ts';
import { isoWithOffset } from './periods.ts';

/** The `data` object of GET /generation (§7), every documented field present. */
export function renderGeneration(r: GenerationRecord): Record<string, unknown> {
  const cost = usdToNumber(r.charged);
  const usage = r.usage;
  const attempts: ProviderAttempt[] = [
    ...r.failedAttempts,
    {
      endpoint: r.endpoint,
      model: r.model,
      status: 200,
      latencyMs: r.firstTokenAtMs === null ? 0 : r.firstTokenAtMs - r.startedAtMs,
    },
  ];
  return {
    id: r.id,
    request_id: null,
    upstream_id: `chatcmpl-${r.id.slice(-20)}`,
    total_cost: cost,
    usage: cost,
    cache_discount: r.cacheDiscount === null ? null : usdToNumber(r.cacheDiscount),
    upstream_inference_cost: r.byok ? usdToNumber(r.upstream) : 0,
    provider_name: r.endpoint.provider.name,
    created_at: isoWithOffset(r.startedAtMs),
    model: r.model.spec.id,
    app_id: null,
    api_type: r.apiType,
    router: null,
    http_referer: r.httpReferer,
    user_agent: r.userAgent,
    origin: r.origin ?? '',
    external_user: r.externalUser,
    session_id: r.sessionId,
    preset_id: null,
    workspace_id: null,
    data_region: 'global',
    streamed: r.streamed,
    cancelled: r.cancelled,
    is_byok: r.byok,
    latency: r.firstTokenAtMs === null ? null : r.firstTokenAtMs - r.startedAtMs,
    generation_time: r.completedAtMs - r.startedAtMs,
    moderation_latency: r.model.spec.isModerated ? 0 : null,
    finish_reason: r.finishReason,
    native_finish_reason: r.nativeFinishReason,
    tokens_prompt: usage.promptTokens,
    tokens_completion: usage.completionTokens,
    native_tokens_prompt: usage.promptTokens,
    native_tokens_completion: usage.completionTokens,
    native_tokens_reasoning: usage.reasoningTokens,
    native_tokens_cached: usage.cachedTokens,
    native_tokens_completion_images: 0,
    num_media_prompt: usage.images > 0 ? usage.images : null,
    num_media_completion: 0,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    web_search_engine: null,
    service_tier: null,
    response_cache_source_id: null,
    provider_responses: attempts.map((a) => ({
      provider_name: a.endpoint.provider.name,
      status: a.status,
      endpoint_id: a.endpoint.id,
      model_permaslug: a.model.spec.canonicalSlug,
      latency: a.latencyMs,
      is_byok: r.byok,
    })),
  };
}
