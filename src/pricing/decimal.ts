/**
 * Exact decimals for prices: a value is `coefficient × 10^exponent`. Per-token prices after a
 * discount ("0.00000075" × (1 − 0.15)) can be finer than a picodollar, so prices stay exact
 * decimals and become `Money` only once, when multiplied by a count.
 */
import { divideRoundHalfEven, MONEY_SCALE, type Money } from '../shared/money.ts';

export interface Decimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

export type Rounding = 'half-even' | 'ceil' | 'floor';

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_EXPONENT = 400;

/** 10^n as a bigint, from a table for the exponents prices use (a bigint power per call adds up). */
const POWERS_OF_TEN: bigint[] = Array.from({ length: 64 }, (_, n) => 10n ** BigInt(n));
export function powerOfTen(n: number): bigint {
  return POWERS_OF_TEN[n] ?? 10n ** BigInt(n);
}

export const DECIMAL_ZERO: Decimal = { coefficient: 0n, exponent: 0 };
export const DECIMAL_ONE: Decimal = { coefficient: 1n, exponent: 0 };

/** Parses "0.00000075", "6e-07", "-1" or a finite number (by its shortest round-trip text). */
export function parseDecimal(value: string | number): Decimal | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign, intDigits = '', fracDigits = '', exponentText] = match;
  if (intDigits === '' && fracDigits === '') return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) return undefined;
  const magnitude = BigInt(`${intDigits}${fracDigits}` || '0');
  return normalize({
    coefficient: sign === '-' ? -magnitude : magnitude,
    exponent: exponent - fracDigits.length,
  });
}

/** Strips trailing zeros from the coefficient so equal values have one representation. */
function normalize(value: Decimal): Decimal {
  if (value.coefficient === 0n) return DECIMAL_ZERO;
  let { coefficient, exponent } = value;
  while (coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent += 1;
  }
  return { coefficient, exponent };
}

/** Plain decimal text without exponent or trailing zeros: "0.0000006375", "12", "-1". */
export function decimalToString(value: Decimal): string {
  const { coefficient, exponent } = normalize(value);
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const padded = digits.padStart(-exponent + 1, '0');
    text = `${padded.slice(0, exponent)}.${padded.slice(exponent)}`;
  }
  return negative ? `-${text}` : text;
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.coefficient * powerOfTen(a.exponent - exponent),
    b.coefficient * powerOfTen(b.exponent - exponent),
    exponent,
  ];
}

export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return normalize({ coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent });
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, exponent] = align(a, b);
  return normalize({ coefficient: x - y, exponent });
}

export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxDecimal(first: Decimal, ...rest: readonly Decimal[]): Decimal {
  return rest.reduce((best, value) => (compareDecimal(value, best) > 0 ? value : best), first);
}

export function minDecimal(first: Decimal, ...rest: readonly Decimal[]): Decimal {
  return rest.reduce((best, value) => (compareDecimal(value, best) < 0 ? value : best), first);
}

export function isZeroDecimal(value: Decimal): boolean {
  return value.coefficient === 0n;
}

/** Integer division with the given rounding (any signs, positive denominator). */
export function divideRounded(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  if (rounding === 'half-even') return divideRoundHalfEven(numerator, denominator);
  const quotient = numerator / denominator; // truncates toward zero
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  if (rounding === 'ceil') return numerator > 0n ? quotient + 1n : quotient;
  return numerator < 0n ? quotient - 1n : quotient;
}

/** `price × count` as Money (picodollars), rounded once with the given rule. */
export function decimalTimesToMoney(price: Decimal, count: bigint, rounding: Rounding): Money {
  const product = price.coefficient * count;
  const shift = price.exponent + MONEY_SCALE;
  if (shift >= 0) return product * powerOfTen(shift);
  return divideRounded(product, powerOfTen(-shift), rounding);
}
