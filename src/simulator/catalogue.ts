import { basePrices, type PriceSheet } from './billing.ts';
import { MODEL_SPECS } from './catalogue-data.ts';
import type { EndpointSpec, ModelSpec, ProviderSpec } from './catalogue-types.ts';
import { PROVIDERS } from './providers.ts';
import { hashString } from './rng.ts';

/** A model ready to serve: its spec plus everything precomputed once (prices, endpoint ids, JSON). */
export interface CatalogueModel {
  spec: ModelSpec;
  prices: PriceSheet;
  endpoints: CatalogueEndpoint[];
  supported: ReadonlySet<string>;
  /** The /models entry, built once. */
  json: Record<string, unknown>;
  isFree: boolean;
  isEmbedding: boolean;
  /** system_fingerprint on providers that send one. */
  fingerprint: string;
}

export interface CatalogueEndpoint {
  id: string;
  provider: ProviderSpec;
  spec: EndpointSpec;
  contextLength: number;
  maxCompletionTokens: number | null;
}

export interface Catalogue {
  models: readonly CatalogueModel[];
  providers: readonly ProviderSpec[];
  /** Exact id, or a routing variant (`:nitro`, `:floor`, …) of a known id. */
  resolve(id: string): CatalogueModel | undefined;
  provider(slugOrName: string): ProviderSpec | undefined;
}

/** Variants that route differently on OpenRouter but bill like the base model. */
const ROUTING_VARIANTS = [':nitro', ':floor', ':online', ':thinking', ':extended', ':exacto'];

export function createCatalogue(specs: readonly ModelSpec[] = MODEL_SPECS): Catalogue {
  const providersBySlug = new Map<string, ProviderSpec>();
  for (const p of PROVIDERS) {
    providersBySlug.set(p.slug, p);
    providersBySlug.set(p.name.toLowerCase(), p);
  }
  const models = specs.map((spec) => buildModel(spec, providersBySlug));
  const byId = new Map(models.map((m) => [m.spec.id, m]));
  return {
    models,
    providers: PROVIDERS,
    resolve(id) {
      const exact = byId.get(id);
      if (exact !== undefined) return exact;
      const variant = ROUTING_VARIANTS.find((v) => id.endsWith(v));
      return variant === undefined ? undefined : byId.get(id.slice(0, -variant.length));
    },
    provider: (slugOrName) => providersBySlug.get(slugOrName.toLowerCase()),
  };
}

function buildModel(spec: ModelSpec, providers: Map<string, ProviderSpec>): CatalogueModel {
  const endpoints = spec.endpoints.map((e): CatalogueEndpoint => {
    const provider = providers.get(e.provider);
    if (provider === undefined) throw new Error(`catalogue: unknown provider ${e.provider} for ${spec.id}`);
    return {
      id: uuidFromHash(`${spec.id}|${e.provider}`),
      provider,
      spec: e,
      contextLength: e.contextLength ?? spec.contextLength,
      maxCompletionTokens: e.maxCompletionTokens ?? spec.maxCompletionTokens,
    };
  });
  return {
    spec,
    prices: basePrices(spec.pricing),
    endpoints,
    supported: new Set(spec.supportedParameters),
    json: renderModel(spec),
    isFree: spec.id.endsWith(':free'),
    isEmbedding: spec.outputModalities.includes('embeddings'),
    fingerprint: `fp_${hashString(spec.canonicalSlug).toString(16).padStart(8, '0')}`,
  };
}

function modality(spec: ModelSpec): string {
  return `${spec.inputModalities.join('+')}->${spec.outputModalities.join('+')}`;
}

function renderModel(spec: ModelSpec): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: spec.id,
    canonical_slug: spec.canonicalSlug,
    hugging_face_id: spec.huggingFaceId,
    name: spec.name,
    created: spec.created,
    description: spec.description,
    context_length: spec.contextLength,
    architecture: {
      modality: modality(spec),
      input_modalities: spec.inputModalities,
      output_modalities: spec.outputModalities,
      tokenizer: spec.tokenizer,
      instruct_type: spec.instructType,
    },
    pricing: spec.pricing,
    top_provider: {
      context_length: spec.contextLength,
      max_completion_tokens: spec.maxCompletionTokens,
      is_moderated: spec.isModerated,
    },
    per_request_limits: spec.perRequestLimits,
    supported_parameters: spec.supportedParameters,
    default_parameters: spec.defaultParameters,
    supported_voices: null,
    knowledge_cutoff: spec.knowledgeCutoff,
    expiration_date: null,
    links: { details: `/api/v1/models/${spec.canonicalSlug}/endpoints` },
  };
  if (spec.reasoning !== undefined) json.reasoning = spec.reasoning;
  return json;
}

/** GET /models/{author}/{slug}/endpoints body (`data`). */
export function renderEndpoints(model: CatalogueModel, authenticated: boolean): Record<string, unknown> {
  const spec = model.spec;
  return {
    id: spec.id,
    name: spec.name,
    created: spec.created,
    description: spec.description,
    architecture: {
      modality: modality(spec),
      input_modalities: spec.inputModalities,
      output_modalities: spec.outputModalities,
      tokenizer: spec.tokenizer,
      instruct_type: spec.instructType,
    },
    endpoints: model.endpoints.map((e) => renderEndpoint(model, e, authenticated)),
  };
}

export function renderEndpoint(
  model: CatalogueModel,
  e: CatalogueEndpoint,
  authenticated: boolean,
): Record<string, unknown> {
  const tools = model.supported.has('tools');
  // Latency/throughput stats are only shown to authenticated callers, as on OpenRouter.
  const stats = (p50: number) =>
    authenticated ? { p50, p75: p50 * 1.3, p90: p50 * 1.8, p99: p50 * 3 } : null;
  return {
    name: `${e.provider.name} | ${model.spec.canonicalSlug}`,
    model_id: model.spec.canonicalSlug,
    model_name: model.spec.name,
    context_length: e.contextLength,
    max_completion_tokens: e.maxCompletionTokens,
    max_prompt_tokens: null,
    pricing: model.spec.pricing,
    provider_name: e.provider.name,
    tag: e.provider.slug,
    quantization: e.spec.quantization,
    status: 0,
    supported_parameters: model.spec.supportedParameters,
    supports_implicit_caching: model.spec.caching === 'implicit',
    supports_tool_choice: { auto: tools, function: tools, none: tools, required: tools },
    supports_voice_cloning: false,
    uptime_last_5m: 100,
    uptime_last_30m: 99.9,
    uptime_last_1d: 99.7,
    latency_last_30m: stats(450),
    throughput_last_30m: stats(85),
  };
}

/** A stable UUID-shaped id derived from a string (endpoint ids must not change between runs). */
export function uuidFromHash(text: string): string {
  let hex = '';
  let h = hashString(text);
  while (hex.length < 32) {
    hex += h.toString(16).padStart(8, '0');
    h = hashString(hex, h);
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
