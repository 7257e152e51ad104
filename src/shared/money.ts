/**
 * Exact money. Every amount inside tollgate is a `Money`: a bigint count of picodollars
 * (1e-12 USD). OpenRouter quotes per-token prices with up to ~10 decimals and costs with more
 * digits than a float adds up exactly, so floats are only ever produced at the edges, for people.
 */
export type Money = bigint;

/** Number of decimal places one unit represents: 1 unit = 1e-12 USD. */
export const MONEY_SCALE = 12;
const UNITS_PER_USD = 10n ** BigInt(MONEY_SCALE);

export const ZERO_MONEY: Money = 0n;
/** The largest amount a ledger column holds (a signed 64-bit count of picodollars): about $9.2M. */
export const MAX_STORED_MONEY: Money = 9_223_372_036_854_775_807n;

export class MoneyFormatError extends Error {
  readonly code = 'money_format';
  readonly input: unknown;
  constructor(input: unknown) {
    super(
      `Not a USD amount: ${JSON.stringify(String(input)).slice(0, 80)}. Expected a decimal such as "0.0009056", "6e-07" or 12.5.`,
    );
    this.name = 'MoneyFormatError';
    this.input = input;
  }
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a USD amount given as a decimal string ("0.000000075", "6e-07") or a finite number
 * (whose shortest round-trip decimal form is used, so 0.0009056 is exactly 905600000 units).
 * Digits beyond 1e-12 are rounded half to even.
 */
export function moneyFromUsd(value: string | number): Money {
  return priceTimes(value, 1n);
}

function numberToDecimalText(value: number): string {
  if (!Number.isFinite(value)) throw new MoneyFormatError(value);
  return String(value);
}

/** Integer division rounding half to even (banker's rounding), for non-negative numerators. */
export function divideRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  let rounded = quotient;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) rounded += 1n;
  return negative ? -rounded : rounded;
}

/** The exact decimal text of an amount in USD, without trailing zeros ("0.0009056", "-3", "0"). */
export function moneyToUsdString(amount: Money): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const whole = abs / UNITS_PER_USD;
  const frac = (abs % UNITS_PER_USD).toString().padStart(MONEY_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** A float for display and JSON consumers; never feed it back into arithmetic. */
export function moneyToNumber(amount: Money): number {
  return Number(moneyToUsdString(amount));
}

/** Sum of amounts. */
export function sumMoney(amounts: Iterable<Money>): Money {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}

/**
 * Price per unit (a decimal USD string as OpenRouter quotes it, e.g. "0.00000075") times a
 * count, exactly. Products finer than 1e-12 are rounded half to even once, at the end.
 */
export function priceTimes(pricePerUnit: string | number, count: number | bigint): Money {
  const quantity = BigInt(count);
  const text = typeof pricePerUnit === 'number' ? numberToDecimalText(pricePerUnit) : pricePerUnit.trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new MoneyFormatError(pricePerUnit);
  const [, sign, intDigits = '', fracDigits = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) throw new MoneyFormatError(pricePerUnit);
  const digits = BigInt(`${intDigits}${fracDigits}` || '0') * quantity;
  const shift = exponent - fracDigits.length + MONEY_SCALE;
  const units =
    shift >= 0 ? digits * 10n ** BigInt(shift) : divideRoundHalfEven(digits, 10n ** BigInt(-shift));
  return sign === '-' ? -units : units;
}

/** Money as text for storage and JSON (exact, integer units): "905600000". */
export function moneyToUnitsString(amount: Money): string {
  return amount.toString();
}

/** Reads the integer-units text form back. */
export function moneyFromUnitsString(units: string): Money {
  if (!/^-?\d+$/.test(units)) throw new MoneyFormatError(units);
  return BigInt(units);
}
