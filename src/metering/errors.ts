import { type Money, moneyToUsdString } from '../shared/money.ts';

/** Marks metering errors; guards check it, not `instanceof` alone (duplicated package copies). */
const METERING_ERROR = Symbol.for('tollgate.metering-error');

export type MeteringErrorCode = 'cost_cap_exceeded' | 'balance_too_low';

export class MeteringError extends Error {
  readonly code: MeteringErrorCode;
  /** Safe to show an end user. */
  readonly userMessage: string;
  constructor(code: MeteringErrorCode, message: string, userMessage: string) {
    super(message);
    this.name = 'MeteringError';
    this.code = code;
    this.userMessage = userMessage;
    Object.defineProperty(this, METERING_ERROR, { value: true, enumerable: false });
  }
}

/** Even the cheapest outcome of the call (its prompt alone) would cost more than its cap. */
export class CostCapExceededError extends MeteringError {
  readonly cap: Money;
  readonly cheapest: Money;
  readonly model: string;
  constructor(model: string, cap: Money, cheapest: Money) {
    super(
      'cost_cap_exceeded',
      `Refused before sending: the prompt alone would cost at least $${moneyToUsdString(cheapest)} on ${model}, ` +
        `over this call's cap of $${moneyToUsdString(cap)}. Shorten the prompt, pick a cheaper model or raise maxCostUsd.`,
      'This request would cost more than its allowed maximum.',
    );
    this.name = 'CostCapExceededError';
    this.cap = cap;
    this.cheapest = cheapest;
    this.model = model;
  }
}

/**
 * A fallback model (`models`) could cost more than the call's cap. The cap reaches OpenRouter as
 * `provider.max_price`, tuned to the primary model; whether OpenRouter holds fallbacks to it is
 * not documented, so tollgate holds each fallback to the cap by its worst case instead.
 */
export class FallbackOverCapError extends MeteringError {
  readonly cap: Money;
  readonly worstCase: Money | undefined;
  readonly model: string;
  constructor(model: string, cap: Money, worstCase: Money | undefined) {
    const could =
      worstCase === undefined
        ? 'has no known price, so it could cost anything'
        : `could cost up to $${moneyToUsdString(worstCase)}`;
    super(
      'cost_cap_exceeded',
      `Refused before sending: the fallback model ${model} ${could}, over this call's cap of ` +
        `$${moneyToUsdString(cap)}. Lower max_tokens, drop ${model} from "models", or raise maxCostUsd.`,
      'This request would cost more than its allowed maximum.',
    );
    this.name = 'FallbackOverCapError';
    this.cap = cap;
    this.worstCase = worstCase;
    this.model = model;
  }
}

/**
 * A call with a cost cap whose model has no known price (not in the catalogue, the catalogue not
 * loaded, or no model named so the account's default would serve it): the cap cannot be kept.
 */
export class UnpricedCapError extends MeteringError {
  readonly cap: Money;
  readonly model: string | undefined;
  constructor(model: string | undefined, cap: Money) {
    const which =
      model === undefined
        ? 'no model is named (the account default would serve it)'
        : `the price of ${model} is not known (not in the model catalogue, or the catalogue could not be loaded)`;
    super(
      'cost_cap_exceeded',
      `Refused before sending: ${which}, so this call's cap of $${moneyToUsdString(cap)} cannot be kept. ` +
        'Name a model from `tollgate models`, or call without maxCostUsd.',
      'This request would cost more than its allowed maximum.',
    );
    this.name = 'UnpricedCapError';
    this.cap = cap;
    this.model = model;
  }
}

/** The OpenRouter key's remaining limit (or the account balance) cannot cover the call's worst case. */
export class BalanceTooLowError extends MeteringError {
  readonly remaining: Money;
  readonly worstCase: Money;
  constructor(remaining: Money, worstCase: Money) {
    super(
      'balance_too_low',
      `Refused before sending: the call could cost up to $${moneyToUsdString(worstCase)} but only ` +
        `$${moneyToUsdString(remaining)} remains on the OpenRouter key or account. Add credits, raise the key's limit or lower max_tokens.`,
      'The AI budget for this service is exhausted.',
    );
    this.name = 'BalanceTooLowError';
    this.remaining = remaining;
    this.worstCase = worstCase;
  }
}

export function isMeteringError(value: unknown): value is MeteringError {
  return typeof value === 'object' && value !== null && METERING_ERROR in value;
}
