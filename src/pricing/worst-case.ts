/**
 * Bounds on what a request can cost, before it is made: the worst case (reserved against a budget
 * and settled afterwards), the cheapest outcome (to refuse a call that cannot fit a per-call cap),
 * and a mapping of a per-call cap to OpenRouter's `provider.max_price`.
 */
import type { Money } from '../shared/money.ts';
import { COST_COMPONENTS, componentPrices } from './compute-cost.ts';
import {
  type Decimal,
  decimalTimesToMoney,
  decimalToString,
  divideRounded,
  maxDecimal,
  minDecimal,
  multiplyDecimal,
  parseDecimal,
} from './decimal.ts';
import {
  type ChatRequestLike,
  estimateFromTally,
  lowPromptTokenEstimate,
  type PromptEstimateOptions,
  tallyPrompt,
  webSearchAllowance,
} from './estimate-prompt.ts';
import type { Pricing } from './pricing-schema.ts';
import { possiblePricings, type ResolvedPricing, resolvePricing } from './resolve-pricing.ts';

/** How long a call may take, for time-window overrides that could start or end meanwhile. */
export const DEFAULT_CALL_DURATION_MS = 15 * 60_000;

export interface WorstCaseOptions {
  /** When the call starts. */
  readonly at: Date;
  /** Output cap when the request sets neither max_tokens nor max_completion_tokens. */
  readonly defaultMaxTokens: number;
  /** Overrides matching at any instant in [at, at + durationMs] are considered; default 15 min. */
  readonly durationMs?: number;
  /** Known prompt tokens, instead of estimating them from the request. */
  readonly promptTokens?: number;
  readonly promptEstimate?: PromptEstimateOptions;
}

/** The output-token cap of a request: the larger of max_tokens/max_completion_tokens, else the default. */
export function maxOutputTokens(request: ChatRequestLike, defaultMaxTokens: number): number {
  const caps = [request.max_tokens, request.max_completion_tokens].filter(
    (value): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0,
  );
  return Math.ceil(caps.length > 0 ? Math.max(...caps) : Math.max(0, defaultMaxTokens));
}

const up = (price: Decimal, quantity: number): Money => decimalTimesToMoney(price, BigInt(quantity), 'ceil');
const down = (price: Decimal, quantity: number): Money =>
  decimalTimesToMoney(price, BigInt(quantity), 'floor');

/**
 * The most the request can cost: prompt estimate × the highest input price that could apply
 * (prompt, cache read/write at either TTL, audio; over every override that could match a prompt
 * of up to that size during the call) + output cap × max(completion, reasoning) + request fee +
 * images × image price + allowed web searches × web_search price. Rounded up, plus a picodollar
 * per cost component so it stays ≥ computeCost despite computeCost's per-component rounding.
 */
export function worstCaseCost(request: ChatRequestLike, pricing: Pricing, options: WorstCaseOptions): Money {
  const tally = tallyPrompt(request);
  const promptTokens = Math.ceil(
    options.promptTokens ?? estimateFromTally(tally, request, options.promptEstimate),
  );
  const outputTokens = maxOutputTokens(request, options.defaultMaxTokens);
  const { input, output, requestFee, imageFee, webSearchFee } = highestPrices(
    possiblePricings(pricing, {
      maxPromptTokens: promptTokens,
      at: options.at,
      durationMs: options.durationMs ?? DEFAULT_CALL_DURATION_MS,
    }),
  );
  const roundingMargin = BigInt(COST_COMPONENTS.length);
  return (
    up(input, promptTokens) +
    up(output, outputTokens) +
    up(requestFee, 1) +
    up(imageFee, tally.images) +
    up(webSearchFee, webSearchAllowance(request)) +
    roundingMargin
  );
}

interface HighestPrices {
  readonly input: Decimal;
  readonly output: Decimal;
  readonly requestFee: Decimal;
  readonly imageFee: Decimal;
  readonly webSearchFee: Decimal;
}

/** Most models have one resolution (no overrides): its highest prices are worked out once. */
const highestOfSingle = new WeakMap<ResolvedPricing, HighestPrices>();

/** The highest price of each kind over every resolution (at either cache-write TTL). */
function highestPrices(resolutions: readonly ResolvedPricing[]): HighestPrices {
  const single = resolutions.length === 1 ? resolutions[0] : undefined;
  const known = single && highestOfSingle.get(single);
  if (known) return known;
  const candidates = resolutions.flatMap((resolved) => [
    componentPrices(resolved, '5m'),
    componentPrices(resolved, '1h'),
  ]);
  const highest = (pick: (prices: (typeof candidates)[number]) => readonly Decimal[]): Decimal => {
    const all = candidates.flatMap(pick);
    const [first, ...rest] = all;
    if (!first) throw new RangeError('no pricing candidates');
    return maxDecimal(first, ...rest);
  };
  const prices: HighestPrices = {
    input: highest((p) => [p.prompt, p.cachedRead, p.cacheWrite, p.audio]),
    output: highest((p) => [p.completion, p.reasoning]),
    requestFee: highest((p) => [p.request]),
    imageFee: highest((p) => [p.image]),
    webSearchFee: highest((p) => [p.webSearch]),
  };
  if (single) highestOfSingle.set(single, prices);
  return prices;
}

export interface CheapestOutcomeOptions {
  readonly at: Date;
  readonly durationMs?: number;
}

/**
 * The least a successful call can cost: a low prompt estimate (lowPromptTokenEstimate, not the
 * conservative one, which would refuse calls that fit) at the lowest input price that could apply
 * (prompt or cache read), no output, plus the request fee and per-image fees. Rounded down. A
 * call whose cheapest outcome is above a per-call cap can be refused without being made.
 */
export function cheapestOutcomeCost(
  request: ChatRequestLike,
  pricing: Pricing,
  options: CheapestOutcomeOptions,
): Money {
  const tally = tallyPrompt(request);
  const candidates = possiblePricings(pricing, {
    maxPromptTokens: estimateFromTally(tally, request),
    at: options.at,
    durationMs: options.durationMs ?? DEFAULT_CALL_DURATION_MS,
  }).map((resolved) => componentPrices(resolved));
  const lowest = (pick: (prices: (typeof candidates)[number]) => readonly Decimal[]): Decimal => {
    const [first, ...rest] = candidates.flatMap(pick);
    if (!first) throw new RangeError('no pricing candidates');
    return minDecimal(first, ...rest);
  };
  const input = lowest((p) => [p.prompt, p.cachedRead]);
  const requestFee = lowest((p) => [p.request]);
  const imageFee = lowest((p) => [p.image]);
  return down(input, lowPromptTokenEstimate(tally)) + down(requestFee, 1) + down(imageFee, tally.images);
}

/** OpenRouter's `provider.max_price` for prompt and completion: USD per million tokens. */
export interface MaxPrice {
  readonly prompt: string;
  readonly completion: string;
}

export interface MaxPriceOptions {
  /** Expected prompt tokens (e.g. estimatePromptTokens). */
  readonly promptTokens: number;
  /** Output cap (e.g. maxOutputTokens). */
  readonly completionTokens: number;
  /** The model's pricing, whose prompt/completion ratio is kept. */
  readonly reference: Pricing;
  readonly at: Date;
}

const PER_MILLION: Decimal = { coefficient: 1n, exponent: 6 };
const MAX_PRICE_DECIMALS = 9;

/**
 * Maps a per-call cap to `provider.max_price`: both reference prices scaled by one factor k chosen
 * so that promptTokens × k·prompt + completionTokens × k·completion + request fee = the cap, then
 * rounded down. Any endpoint within both limits then costs at most the cap for these token counts
 * (cache, reasoning, image and web-search prices are not limited by max_price; nor are other
 * models in a `models` fallback list). `undefined` when the reference prices or the token counts
 * are zero (no factor to scale); zeros when the request fee alone exceeds the cap.
 */
export function maxPriceForProvider(maxCost: Money, options: MaxPriceOptions): MaxPrice | undefined {
  const resolved = resolvePricing(options.reference, { promptTokens: options.promptTokens, at: options.at });
  const prices = componentPrices(resolved);
  const referenceCost =
    up(prices.prompt, Math.ceil(options.promptTokens)) +
    up(prices.completion, Math.ceil(options.completionTokens));
  if (referenceCost <= 0n) return undefined;
  const budget = maxCost - up(prices.request, 1);
  if (budget <= 0n) return { prompt: '0', completion: '0' };
  const perMillion = (price: Decimal): string => {
    // budget / referenceCost × price × 1e6, in units of 10^-MAX_PRICE_DECIMALS, rounded down.
    const scaled = multiplyDecimal(multiplyDecimal(price, PER_MILLION), {
      coefficient: budget,
      exponent: MAX_PRICE_DECIMALS,
    });
    const numerator =
      scaled.exponent >= 0
        ? scaled.coefficient * 10n ** BigInt(scaled.exponent)
        : divideRounded(scaled.coefficient, 10n ** BigInt(-scaled.exponent), 'floor');
    const units = divideRounded(numerator, referenceCost, 'floor');
    return decimalToString(
      parseDecimal(`${units}e-${MAX_PRICE_DECIMALS}`) ?? { coefficient: 0n, exponent: 0 },
    );
  };
  return { prompt: perMillion(prices.prompt), completion: perMillion(prices.completion) };
}
