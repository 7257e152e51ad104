/**
 * Cost of one request from its usage and the model's pricing (§12.2), exactly, in Money.
 *
 *   uncached_in = prompt − cached − cache_write (− audio, priced at `audio` when quoted)
 *   cost = uncached_in·prompt + cached·input_cache_read + cache_write·input_cache_write(_1h)
 *        + (completion − reasoning)·completion + reasoning·(internal_reasoning | completion)
 *        + request + images·image + web_searches·web_search
 *
 * A token component whose own price is absent is "not priced separately" and costs the base
 * price: cache reads/writes and audio at `prompt`, reasoning at `completion`. `internal_reasoning`
 * of "0" counts as absent too: /models quotes "0" for many models whose reasoning tokens are billed
 * at the completion price (the gemini-2.5-flash fixture: 356 reasoning tokens at 2.5/M). Fees with
 * no price (request, image, web_search) cost nothing. Zero-completion insurance (§12.4) drops the
 * token charges; fees stay.
 */
import type { Money } from '../shared/money.ts';
import { DECIMAL_ZERO, type Decimal, decimalTimesToMoney, isZeroDecimal, parseDecimal } from './decimal.ts';
import type { Pricing } from './pricing-schema.ts';
import { type ResolvedPricing, resolvePricing } from './resolve-pricing.ts';
import { normalizeTokens, type UsageLike } from './usage.ts';

export type CacheWriteTtl = '5m' | '1h';

/** Per-unit prices of each cost component, after fallbacks. */
export interface ComponentPrices {
  readonly prompt: Decimal;
  readonly cachedRead: Decimal;
  readonly cacheWrite: Decimal;
  readonly audio: Decimal;
  readonly completion: Decimal;
  readonly reasoning: Decimal;
  readonly request: Decimal;
  readonly image: Decimal;
  readonly webSearch: Decimal;
}

function price(value: string | undefined): Decimal | undefined {
  if (value === undefined) return undefined;
  const decimal = parseDecimal(value);
  if (!decimal) throw new RangeError(`not a decimal price: ${JSON.stringify(value)}`);
  return decimal;
}

/** Parsed prices per resolved table (they are shared and frozen: see resolvePricing), per TTL. */
const componentCache = new WeakMap<ResolvedPricing, Partial<Record<CacheWriteTtl, ComponentPrices>>>();

export function componentPrices(
  resolved: ResolvedPricing,
  cacheWriteTtl: CacheWriteTtl = '5m',
): ComponentPrices {
  let byTtl = componentCache.get(resolved);
  if (!byTtl) {
    byTtl = {};
    componentCache.set(resolved, byTtl);
  }
  byTtl[cacheWriteTtl] ??= parseComponentPrices(resolved, cacheWriteTtl);
  return byTtl[cacheWriteTtl];
}

function parseComponentPrices(resolved: ResolvedPricing, cacheWriteTtl: CacheWriteTtl): ComponentPrices {
  const prompt = price(resolved.prompt) ?? DECIMAL_ZERO;
  const completion = price(resolved.completion) ?? DECIMAL_ZERO;
  const reasoning = price(resolved.internal_reasoning);
  const write5m = price(resolved.input_cache_write);
  const write = cacheWriteTtl === '1h' ? (price(resolved.input_cache_write_1h) ?? write5m) : write5m;
  return Object.freeze({
    prompt,
    cachedRead: price(resolved.input_cache_read) ?? prompt,
    cacheWrite: write ?? prompt,
    audio: price(resolved.audio) ?? prompt,
    completion,
    reasoning: reasoning && !isZeroDecimal(reasoning) ? reasoning : completion,
    request: price(resolved.request) ?? DECIMAL_ZERO,
    image: price(resolved.image) ?? DECIMAL_ZERO,
    webSearch: price(resolved.web_search) ?? DECIMAL_ZERO,
  });
}

export interface CostOptions {
  /** When the request was made (for time-window overrides). */
  readonly at: Date;
  /** Web searches billed; defaults to usage.server_tool_use_details.web_search_requests, else 0. */
  readonly webSearchRequests?: number;
  /** Input images billed at the per-image price; default 0. */
  readonly images?: number;
  /** Which cache-write rate applies; default '5m'. */
  readonly cacheWriteTtl?: CacheWriteTtl;
  /**
   * The response's finish_reason, for zero-completion insurance. `null` or "" (blank) with zero
   * completion tokens, or "error", makes the tokens free. Leave it out when unknown: no insurance.
   */
  readonly finishReason?: string | null;
}

export interface CostBreakdown {
  readonly prompt: Money;
  readonly cachedRead: Money;
  readonly cacheWrite: Money;
  readonly audio: Money;
  readonly completion: Money;
  readonly reasoning: Money;
  readonly request: Money;
  readonly image: Money;
  readonly webSearch: Money;
}

export const COST_COMPONENTS = [
  'prompt',
  'cachedRead',
  'cacheWrite',
  'audio',
  'completion',
  'reasoning',
  'request',
  'image',
  'webSearch',
] as const satisfies readonly (keyof CostBreakdown)[];

export interface CostEstimate {
  /** Sum of the breakdown (each component rounded half-even to a picodollar once). */
  readonly total: Money;
  readonly breakdown: CostBreakdown;
  /** Zero-completion insurance applied: token components are 0. */
  readonly insured: boolean;
  /** Problems with the token counts (see normalizeTokens); counts were clamped to ≥ 0 and rounded up. */
  readonly violations: readonly string[];
  /** The prices used, after overrides and discount. */
  readonly pricing: ResolvedPricing;
}

/** Whether §12.4 zero-completion insurance makes this response's tokens free. */
export function isInsured(completionTokens: number, finishReason: string | null | undefined): boolean {
  if (finishReason === undefined) return false;
  if (finishReason === 'error') return true;
  return completionTokens === 0 && (finishReason === null || finishReason.trim() === '');
}

/** Non-negative integer count for arithmetic: negatives → 0, fractions rounded up. */
function count(value: number): bigint {
  return Number.isFinite(value) && value > 0 ? BigInt(Math.ceil(value)) : 0n;
}

export function computeCost(usage: UsageLike, pricing: Pricing, options: CostOptions): CostEstimate {
  const tokens = normalizeTokens(usage);
  const resolved = resolvePricing(pricing, { promptTokens: tokens.promptTokens, at: options.at });
  const prices = componentPrices(resolved, options.cacheWriteTtl);
  const prompt = count(tokens.promptTokens);
  const cached = count(tokens.cachedTokens);
  const written = count(tokens.cacheWriteTokens);
  const audio = count(tokens.audioTokens);
  const completion = count(tokens.completionTokens);
  const reasoning = count(tokens.reasoningTokens);
  const uncached = clampZero(prompt - cached - written - audio);
  const insured = isInsured(tokens.completionTokens, options.finishReason);
  const times = (unitPrice: Decimal, quantity: bigint): Money =>
    decimalTimesToMoney(unitPrice, quantity, 'half-even');
  const tokenCharge = (unitPrice: Decimal, quantity: bigint): Money =>
    insured ? 0n : times(unitPrice, quantity);
  const webSearches = options.webSearchRequests ?? usage.server_tool_use_details?.web_search_requests ?? 0;
  const breakdown: CostBreakdown = {
    prompt: tokenCharge(prices.prompt, uncached),
    cachedRead: tokenCharge(prices.cachedRead, cached),
    cacheWrite: tokenCharge(prices.cacheWrite, written),
    audio: tokenCharge(prices.audio, audio),
    completion: tokenCharge(prices.completion, clampZero(completion - reasoning)),
    reasoning: tokenCharge(prices.reasoning, reasoning),
    request: times(prices.request, 1n),
    image: times(prices.image, count(options.images ?? 0)),
    webSearch: times(prices.webSearch, count(webSearches)),
  };
  const total = COST_COMPONENTS.reduce((sum, key) => sum + breakdown[key], 0n);
  return { total, breakdown, insured, violations: tokens.violations, pricing: resolved };
}

function clampZero(value: bigint): bigint {
  return value < 0n ? 0n : value;
}
