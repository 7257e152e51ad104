/** Shapes of the simulator's model catalogue (its own, independent of src/pricing). */

/** A conditional price entry (§8.2): applies when all of its conditions hold. */
export interface PricingOverride {
  min_prompt_tokens?: number;
  utc_start?: number;
  utc_end?: number;
  utc_days?: string[];
  prompt?: string;
  completion?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  input_cache_write_1h?: string;
  [key: string]: unknown;
}

/** Per-unit USD prices as decimal strings, exactly as /models shows them. */
export interface Pricing {
  prompt: string;
  completion: string;
  request?: string;
  image?: string;
  web_search?: string;
  internal_reasoning?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  discount?: number;
  overrides?: PricingOverride[];
}

export type FinishStyle = 'openai' | 'anthropic' | 'google';

export interface ProviderSpec {
  slug: string;
  name: string;
  headquarters: string;
  datacenters: string[];
  privacyPolicyUrl: string;
  termsOfServiceUrl: string;
  statusPageUrl: string | null;
  finishStyle: FinishStyle;
  /** Providers that stop billing when a stream is aborted (§5.7). */
  supportsCancellation: boolean;
  fingerprints: boolean;
}

export interface EndpointSpec {
  provider: string;
  quantization: string | null;
  contextLength?: number;
  maxCompletionTokens?: number;
}

export interface ReasoningSpec {
  mandatory: boolean;
  default_enabled?: boolean;
  default_effort?: string | null;
  supported_efforts?: string[] | null;
  supports_max_tokens?: boolean;
}

export interface ModelSpec {
  id: string;
  canonicalSlug: string;
  name: string;
  created: number;
  description: string;
  contextLength: number;
  maxCompletionTokens: number | null;
  inputModalities: string[];
  outputModalities: string[];
  tokenizer: string;
  instructType: string | null;
  pricing: Pricing;
  supportedParameters: string[];
  defaultParameters: Record<string, number> | null;
  reasoning?: ReasoningSpec;
  isModerated: boolean;
  perRequestLimits: { prompt_tokens: number; completion_tokens: number } | null;
  endpoints: EndpointSpec[];
  knowledgeCutoff: string | null;
  huggingFaceId: string | null;
  /** Prompt caching style: implicit (reads only) or explicit (writes billed, Anthropic-style). */
  caching: 'none' | 'implicit' | 'explicit';
  embeddingDimensions?: number;
}
