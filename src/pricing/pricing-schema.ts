/**
 * The OpenRouter pricing object (§8.2): decimal-string USD prices per unit, a numeric `discount`
 * and conditional `overrides`. Parsed loosely: keys we do not know pass through untouched.
 */
import { z } from 'zod';
import { parseDecimal } from './decimal.ts';

export const PRICE_KEYS = [
  'prompt',
  'completion',
  'request',
  'image',
  'image_output',
  'image_token',
  'audio',
  'audio_output',
  'input_audio_cache',
  'web_search',
  'internal_reasoning',
  'input_cache_read',
  'input_cache_write',
  'input_cache_write_1h',
] as const;

export type PriceKey = (typeof PRICE_KEYS)[number];

/** Condition keys of an override entry this module understands. */
export const OVERRIDE_CONDITION_KEYS = ['min_prompt_tokens', 'utc_start', 'utc_end', 'utc_days'] as const;

/** Prices by key: non-negative decimal strings, USD per unit. */
export type PriceTable = { readonly [K in PriceKey]?: string };

export interface PricingOverride extends PriceTable {
  /** Applies when the request's prompt tokens are strictly greater than this. */
  readonly min_prompt_tokens?: number;
  /** HHMM clock number (1030 = 10:30) or text ("1030", "10:30"); inclusive start, UTC. */
  readonly utc_start?: number | string;
  /** HHMM; exclusive end, UTC; the window wraps past midnight when start > end. */
  readonly utc_end?: number | string;
  /** Weekdays, UTC: names ("monday", "Mon") or numbers 0–6 with 0 = Sunday (7 also = Sunday). */
  readonly utc_days?: readonly (string | number)[];
  /** Not documented inside overrides; honoured (later wins) when present. */
  readonly discount?: number;
  readonly [key: string]: unknown;
}

export interface Pricing extends PriceTable {
  readonly prompt: string;
  readonly completion: string;
  /** Fraction in [0, 1]; every price is multiplied by (1 − discount). */
  readonly discount?: number;
  readonly overrides?: readonly PricingOverride[];
  readonly [key: string]: unknown;
}

const NEGATIVE_PRICE_HINT = 'router models such as openrouter/auto quote "-1" for a variable price';

type IssueSink = { issues: { push(issue: { code: 'custom'; input: unknown; message: string }): unknown } };

function toPrice(value: string | number, ctx: IssueSink): string {
  const decimal = parseDecimal(value);
  if (!decimal) {
    ctx.issues.push({ code: 'custom', input: value, message: `not a decimal USD price: ${quote(value)}` });
    return z.NEVER;
  }
  if (decimal.coefficient < 0n) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `negative price ${quote(value)} (${NEGATIVE_PRICE_HINT}); no fixed price to compute with`,
    });
    return z.NEVER;
  }
  return typeof value === 'number' ? String(value) : value.trim();
}

const priceValue = z
  .union([z.string(), z.number(), z.null()])
  .transform((value, ctx) => (value === null ? undefined : toPrice(value, ctx)));

const requiredPrice = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input === undefined ? 'required price is missing' : 'not a decimal USD price'),
  })
  .transform(toPrice);

const discountValue = z.union([z.number(), z.string(), z.null()]).transform((value, ctx) => {
  if (value === null) return undefined;
  const number = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(number) || number < 0 || number > 1 || (typeof value === 'string' && !value.trim())) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `discount must be a number in [0, 1], got ${quote(value)}`,
    });
    return z.NEVER;
  }
  return number;
});

const priceShape = Object.fromEntries(PRICE_KEYS.map((key) => [key, priceValue.optional()])) as Record<
  PriceKey,
  z.ZodOptional<typeof priceValue>
>;

const clockValue = z.union([z.number(), z.string()]);

/** Optional, and `null` reads as absent. */
function absentWhenNull<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();
}

const overrideSchema = z.looseObject({
  ...priceShape,
  min_prompt_tokens: absentWhenNull(z.number()),
  utc_start: absentWhenNull(clockValue),
  utc_end: absentWhenNull(clockValue),
  utc_days: absentWhenNull(z.array(z.union([z.string(), z.number()]))),
  discount: discountValue.optional(),
});

const pricingObject = z.looseObject({
  ...priceShape,
  prompt: requiredPrice,
  completion: requiredPrice,
  discount: discountValue.optional(),
  overrides: z
    .array(overrideSchema)
    .nullish()
    .transform((value) => value ?? undefined),
});

/**
 * Zod schema of the pricing object. Unknown keys pass through; prices must be non-negative
 * decimals (strings as OpenRouter sends them; numbers are accepted and turned into their text).
 */
export const pricingSchema: z.ZodType<Pricing, unknown> = pricingObject;

export class PricingFormatError extends Error {
  readonly code = 'pricing_format';
  readonly modelId: string | undefined;
  readonly issues: readonly string[];
  constructor(modelId: string | undefined, issues: readonly string[]) {
    const subject = modelId === undefined ? 'Pricing' : `Pricing of model "${modelId}"`;
    super(`${subject} is invalid: ${issues.join('; ')}`);
    this.name = 'PricingFormatError';
    this.modelId = modelId;
    this.issues = issues;
  }
}

/** Parses a pricing object, throwing a `PricingFormatError` that names the model and the key. */
export function parsePricing(input: unknown, modelId?: string): Pricing {
  const result = pricingSchema.safeParse(input);
  if (result.success) return result.data;
  throw new PricingFormatError(
    modelId,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    'pricing',
  );
}

function quote(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 60) ?? String(value);
}
