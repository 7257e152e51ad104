import type { Pricing, PricingOverride } from './catalogue-types.ts';
import { parseUsd, scaleUnits, UNITS_PER_USD, type Units } from './decimal.ts';

/**
 * What one call costs, computed by the simulator's own code from its own catalogue so that tests
 * comparing tollgate's ledger with what the simulator billed check two independent computations.
 *
 *   uncached = prompt − cached − cache_write
 *   cost = uncached×prompt + cached×input_cache_read + cache_write×input_cache_write
 *        + (completion − reasoning)×completion + reasoning×(internal_reasoning ?? completion)
 *        + request + images×image
 * with `overrides` applied first and every price multiplied by (1 − discount). BYOK calls are
 * charged a 5% fee of that list price; zero-completion insurance (§12.4) makes a call with an
 * error finish or no completion tokens free.
 */

export interface PriceSheet {
  prompt: Units;
  completion: Units;
  request: Units;
  image: Units;
  internalReasoning: Units | null;
  cacheRead: Units | null;
  cacheWrite: Units | null;
}

export interface TokenUsage {
  promptTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  images: number;
}

export interface Charge {
  /** upstream_inference_prompt_cost: input tokens, cache, images and the request fee. */
  promptCost: Units;
  /** upstream_inference_completions_cost: output and reasoning tokens. */
  completionCost: Units;
  /** List price of the call: promptCost + completionCost. */
  fullCost: Units;
  /** usage.cost: what the account is charged (fullCost, the BYOK fee, or 0 when insured). */
  charged: Units;
  isByok: boolean;
  /** Saving from cache reads minus extra cost of writes, vs. uncached input; null without caching. */
  cacheDiscount: Units | null;
}

export const BYOK_FEE_PERCENT = 5n;

const optional = (value: string | undefined): Units | null => (value === undefined ? null : parseUsd(value));

/** The catalogue prices as exact units, before overrides and discount. */
export function basePrices(pricing: Pricing): PriceSheet {
  return {
    prompt: parseUsd(pricing.prompt),
    completion: parseUsd(pricing.completion),
    request: parseUsd(pricing.request ?? '0'),
    image: parseUsd(pricing.image ?? '0'),
    internalReasoning: optional(pricing.internal_reasoning),
    cacheRead: optional(pricing.input_cache_read),
    cacheWrite: optional(pricing.input_cache_write),
  };
}

const KNOWN_CONDITIONS = new Set(['min_prompt_tokens', 'utc_start', 'utc_end', 'utc_days']);
const PRICE_KEYS = new Set([
  'prompt',
  'completion',
  'input_cache_read',
  'input_cache_write',
  'input_cache_write_1h',
  'audio',
  'input_audio_cache',
]);
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Does this override entry apply to a request with `promptTokens` made at `atMs`? */
export function overrideApplies(entry: PricingOverride, promptTokens: number, atMs: number): boolean {
  for (const key of Object.keys(entry)) {
    // An entry with a condition we do not understand is skipped, as the spec asks.
    if (!KNOWN_CONDITIONS.has(key) && !PRICE_KEYS.has(key)) return false;
  }
  if (typeof entry.min_prompt_tokens === 'number' && !(promptTokens > entry.min_prompt_tokens)) return false;
  const at = new Date(atMs);
  if (Array.isArray(entry.utc_days) && !entry.utc_days.includes(DAY_NAMES[at.getUTCDay()] ?? ''))
    return false;
  if (typeof entry.utc_start === 'number' || typeof entry.utc_end === 'number') {
    const hhmm = at.getUTCHours() * 100 + at.getUTCMinutes();
    const start = typeof entry.utc_start === 'number' ? entry.utc_start : 0;
    const end = typeof entry.utc_end === 'number' ? entry.utc_end : 2400;
    const inside = start <= end ? hhmm >= start && hhmm < end : hhmm >= start || hhmm < end;
    if (!inside) return false;
  }
  return true;
}

/** Prices for one request: base, then matching overrides (later entries win), then the discount. */
export function effectivePrices(
  pricing: Pricing,
  base: PriceSheet,
  promptTokens: number,
  atMs: number,
): PriceSheet {
  let sheet = base;
  if (pricing.overrides !== undefined) {
    for (const entry of pricing.overrides) {
      if (!overrideApplies(entry, promptTokens, atMs)) continue;
      sheet = {
        ...sheet,
        prompt: typeof entry.prompt === 'string' ? parseUsd(entry.prompt) : sheet.prompt,
        completion: typeof entry.completion === 'string' ? parseUsd(entry.completion) : sheet.completion,
        cacheRead:
          typeof entry.input_cache_read === 'string' ? parseUsd(entry.input_cache_read) : sheet.cacheRead,
        cacheWrite:
          typeof entry.input_cache_write === 'string' ? parseUsd(entry.input_cache_write) : sheet.cacheWrite,
      };
    }
  }
  if (pricing.discount === undefined || pricing.discount === 0) return sheet;
  const keep = UNITS_PER_USD - parseUsd(pricing.discount);
  const apply = (price: Units): Units => scaleUnits(price, keep, UNITS_PER_USD);
  const applyOptional = (price: Units | null): Units | null => (price === null ? null : apply(price));
  return {
    prompt: apply(sheet.prompt),
    completion: apply(sheet.completion),
    request: apply(sheet.request),
    image: apply(sheet.image),
    internalReasoning: applyOptional(sheet.internalReasoning),
    cacheRead: applyOptional(sheet.cacheRead),
    cacheWrite: applyOptional(sheet.cacheWrite),
  };
}

export interface ChargeOptions {
  byok: boolean;
  /** Zero-completion insurance applies (error finish, or no completion tokens). */
  insured: boolean;
}

export function computeCharge(usage: TokenUsage, prices: PriceSheet, options: ChargeOptions): Charge {
  const cached = BigInt(usage.cachedTokens);
  const written = BigInt(usage.cacheWriteTokens);
  const uncached = BigInt(Math.max(0, usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens));
  const reasoning = BigInt(usage.reasoningTokens);
  const visible = BigInt(Math.max(0, usage.completionTokens - usage.reasoningTokens));
  const readPrice = prices.cacheRead ?? prices.prompt;
  const writePrice = prices.cacheWrite ?? prices.prompt;
  const hasCache = usage.cachedTokens > 0 || usage.cacheWriteTokens > 0;
  const cacheDiscount = hasCache
    ? (cached + written) * prices.prompt - (cached * readPrice + written * writePrice)
    : null;
  if (options.insured) {
    return {
      promptCost: 0n,
      completionCost: 0n,
      fullCost: 0n,
      charged: 0n,
      isByok: options.byok,
      cacheDiscount: null,
    };
  }
  const promptCost =
    uncached * prices.prompt +
    cached * readPrice +
    written * writePrice +
    prices.request +
    BigInt(usage.images) * prices.image;
  const completionCost =
    visible * prices.completion + reasoning * (prices.internalReasoning ?? prices.completion);
  const fullCost = promptCost + completionCost;
  const charged = options.byok ? (fullCost * BYOK_FEE_PERCENT) / 100n : fullCost;
  return { promptCost, completionCost, fullCost, charged, isByok: options.byok, cacheDiscount };
}

/** §12.4: no charge for a response with an error finish or zero completion tokens. */
export function isInsured(finishReason: string | null, completionTokens: number): boolean {
  return finishReason === 'error' || completionTokens === 0;
}
