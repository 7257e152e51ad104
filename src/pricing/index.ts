/**
 * pricing: what a call costs. Pure cost arithmetic from usage × a model's pricing (exact, in
 * Money), bounds before a call (worst case for budget reservations, cheapest outcome for caps),
 * prompt-token estimation, the billed cost read from `usage`, and the cached model catalogue.
 */

export {
  type CacheWriteTtl,
  COST_COMPONENTS,
  type CostBreakdown,
  type CostEstimate,
  type CostOptions,
  computeCost,
  isInsured,
} from './compute-cost.ts';
export {
  costFromUsage,
  type KnownUsageCost,
  type UnknownUsageCost,
  type UsageCost,
} from './cost-from-usage.ts';
export {
  type ChatRequestLike,
  countInputImages,
  DEFAULT_PROMPT_ALLOWANCES,
  estimatePromptTokens,
  lowPromptTokenEstimate,
  type PromptEstimateOptions,
  webSearchAllowance,
} from './estimate-prompt.ts';
export {
  type CatalogModel,
  createModelCatalog,
  type ModelCatalog,
  type ModelCatalogOptions,
  type ModelCatalogStatus,
  NOT_LOADED,
  type PriceQuote,
} from './model-catalog.ts';
export type { EndpointInfo, ModelArchitecture, ModelInfo } from './model-info.ts';
export { type Applicability, overrideApplicability } from './override-conditions.ts';
export {
  PRICE_KEYS,
  type PriceKey,
  type PriceTable,
  type Pricing,
  PricingFormatError,
  type PricingOverride,
  parsePricing,
  pricingSchema,
} from './pricing-schema.ts';
export {
  applyDiscount,
  type PricingContext,
  type ResolvedPricing,
  resolvePricing,
} from './resolve-pricing.ts';
export { type NormalizedTokens, normalizeTokens, type UsageLike } from './usage.ts';
export {
  type CheapestOutcomeOptions,
  cheapestOutcomeCost,
  DEFAULT_CALL_DURATION_MS,
  type MaxPrice,
  type MaxPriceOptions,
  maxOutputTokens,
  maxPriceForProvider,
  type WorstCaseOptions,
  worstCaseCost,
} from './worst-case.ts';
