/**
 * From a pricing object to the prices that apply: overrides first (later matching entries win per
 * key), then the discount, exactly (price × (1 − discount) in decimal arithmetic).
 */
import {
  DECIMAL_ONE,
  decimalToString,
  isZeroDecimal,
  multiplyDecimal,
  parseDecimal,
  subtractDecimal,
} from './decimal.ts';
import {
  candidateInstants,
  conditionsMatch,
  hasTimeCondition,
  type OverrideConditions,
  readConditions,
} from './override-conditions.ts';
import {
  PRICE_KEYS,
  type PriceKey,
  type PriceTable,
  type Pricing,
  type PricingOverride,
} from './pricing-schema.ts';

/** Prices after overrides and discount: exact, non-negative decimal strings, USD per unit. */
export type ResolvedPricing = PriceTable;

export interface PricingContext {
  /** The request's prompt tokens (cached ones included), for `min_prompt_tokens` tiers. */
  readonly promptTokens: number;
  /** The instant the request is priced at, for UTC time windows and weekdays. */
  readonly at: Date;
}

/** The prices that apply to one request: overrides (all conditions match) then the discount. */
export function resolvePricing(pricing: Pricing, context: PricingContext): ResolvedPricing {
  const compiled = compiledConditions(pricing);
  const matching: number[] = [];
  for (let index = 0; index < compiled.length; index++) {
    const conditions = compiled[index];
    if (conditions && conditionsMatch(conditions, context.promptTokens, context.at)) matching.push(index);
  }
  return resolvedFor(pricing, matching);
}

/*
 * Resolution is on every call's path (worst case before, cost after) and parsing decimals is its
 * cost; a model's pricing object stays the same between catalogue refreshes, so each distinct set
 * of applicable overrides is resolved once per pricing object. Resolved tables are frozen: they
 * are shared by every caller.
 */
const conditionsCache = new WeakMap<Pricing, ReadonlyArray<OverrideConditions | undefined>>();
const resolvedCache = new WeakMap<Pricing, Map<string, ResolvedPricing>>();

function compiledConditions(pricing: Pricing): ReadonlyArray<OverrideConditions | undefined> {
  let compiled = conditionsCache.get(pricing);
  if (!compiled) {
    compiled = (pricing.overrides ?? []).map((entry) => readConditions(entry));
    conditionsCache.set(pricing, compiled);
  }
  return compiled;
}

/** The pricing with the overrides at these indices applied (in order), then its discount. */
function resolvedFor(pricing: Pricing, indices: readonly number[]): ResolvedPricing {
  let byIndices = resolvedCache.get(pricing);
  if (!byIndices) {
    byIndices = new Map();
    resolvedCache.set(pricing, byIndices);
  }
  const key = indices.join(',');
  let resolved = byIndices.get(key);
  if (!resolved) {
    const entries = pricing.overrides ?? [];
    const chosen: PricingOverride[] = [];
    for (const index of indices) {
      const entry = entries[index];
      if (entry) chosen.push(entry);
    }
    resolved = Object.freeze(mergeAndDiscount(pricing, chosen));
    byIndices.set(key, resolved);
  }
  return resolved;
}

function mergeAndDiscount(pricing: Pricing, applicable: readonly PricingOverride[]): ResolvedPricing {
  const prices: Partial<Record<PriceKey, string>> = {};
  for (const key of PRICE_KEYS) {
    const value = pricing[key];
    if (value !== undefined) prices[key] = value;
  }
  let discount = pricing.discount;
  for (const entry of applicable) {
    for (const key of PRICE_KEYS) {
      const value = entry[key];
      if (value !== undefined) prices[key] = value;
    }
    if (entry.discount !== undefined) discount = entry.discount;
  }
  return applyDiscount(prices, discount);
}

/** Every price × (1 − discount), exactly. No discount (or 0) leaves the strings untouched. */
export function applyDiscount(prices: PriceTable, discount: number | undefined): ResolvedPricing {
  const fraction = discount === undefined ? undefined : parseDecimal(discount);
  if (!fraction || isZeroDecimal(fraction)) return { ...prices };
  const factor = subtractDecimal(DECIMAL_ONE, fraction);
  const result: Partial<Record<PriceKey, string>> = {};
  for (const key of PRICE_KEYS) {
    const value = prices[key];
    if (value === undefined) continue;
    const price = parseDecimal(value);
    if (!price) throw new RangeError(`pricing.${key} is not a decimal: ${JSON.stringify(value)}`);
    result[key] = decimalToString(multiplyDecimal(price, factor));
  }
  return result;
}

export interface PricingRange {
  /** Prompt tokens of the request are somewhere in [0, maxPromptTokens]. */
  readonly maxPromptTokens: number;
  /** The request is priced at some instant in [at, at + durationMs]. */
  readonly at: Date;
  readonly durationMs: number;
}

/**
 * Every resolution a request in the given range could get: one per prompt-size tier and distinct
 * set of time-matching entries; entries with unreadable conditions are tried as applying too.
 * A bound taken over these (max for budgets, min for refusals) covers any actual resolution.
 */
export function possiblePricings(pricing: Pricing, range: PricingRange): ResolvedPricing[] {
  const compiled = compiledConditions(pricing);
  if (compiled.length === 0) return [resolvedFor(pricing, [])];
  const readable = compiled.filter(
    (conditions): conditions is OverrideConditions => conditions !== undefined,
  );
  const prompts = [0];
  for (const conditions of readable) {
    if (conditions.minPromptTokens === undefined) continue;
    const tier = Math.max(0, Math.floor(conditions.minPromptTokens) + 1);
    if (tier <= range.maxPromptTokens && !prompts.includes(tier)) prompts.push(tier);
  }
  const instants = readable.some(hasTimeCondition)
    ? candidateInstants(range.at, range.durationMs)
    : [range.at];
  const unknown = compiled.flatMap((conditions, index) => (conditions ? [] : [index]));
  const seen = new Set<string>();
  const results: ResolvedPricing[] = [];
  for (const promptTokens of prompts) {
    for (const at of instants) {
      const matching = compiled.flatMap((conditions, index) =>
        conditions && conditionsMatch(conditions, promptTokens, at) ? [index] : [],
      );
      for (const set of [matching, ...unknown.map((index) => [...matching, index].sort((a, b) => a - b))]) {
        const key = set.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        results.push(resolvedFor(pricing, set));
      }
    }
  }
  return results;
}
