/**
 * The minimal shapes of OpenRouter's /models entries (§8.1) and /models/{id}/endpoints entries
 * (§8.3) the catalogue reads. Structural: the client's parsed types (or raw JSON) fit.
 */

export interface ModelArchitecture {
  readonly modality?: string | null;
  readonly input_modalities?: readonly string[] | null;
  readonly output_modalities?: readonly string[] | null;
  readonly tokenizer?: string | null;
}

export interface ModelInfo {
  /** Routable id, e.g. "google/gemini-2.5-flash" or "meta-llama/llama-3.3-70b-instruct:free". */
  readonly id: string;
  /** Permanent, often dated slug; the catalogue also finds a model by it. */
  readonly canonical_slug?: string | null;
  /** The §8.2 pricing object; parsed with `pricingSchema`. */
  readonly pricing: unknown;
  readonly context_length?: number | null;
  readonly top_provider?: {
    readonly context_length?: number | null;
    readonly max_completion_tokens?: number | null;
  } | null;
  readonly architecture?: ModelArchitecture | null;
}

/** One provider endpoint of a model. */
export interface EndpointInfo {
  /** Provider display name, as in a response's `provider` field ("Google", "DeepInfra"). */
  readonly provider_name?: string | null;
  /** Routing slug, e.g. "deepinfra/fp8". */
  readonly tag?: string | null;
  /** Endpoint name, e.g. "DeepInfra | meta-llama/llama-3.3-70b-instruct". */
  readonly name?: string | null;
  readonly pricing: unknown;
  readonly context_length?: number | null;
  readonly max_completion_tokens?: number | null;
}
