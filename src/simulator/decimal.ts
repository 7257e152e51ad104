/**
 * The simulator's own exact arithmetic for USD amounts, independent of tollgate's money module on
 * purpose: tests compare the two. An amount is a bigint count of 1e-24 USD, enough digits that
 * per-token prices (≤ 12 decimals) times discounts and the BYOK fee never need rounding.
 */
export type Units = bigint;

export const SCALE_DIGITS = 24;
export const UNITS_PER_USD: Units = 10n ** BigInt(SCALE_DIGITS);

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses "0.00000075", "6e-07", "-1" or a finite number; rounds half up beyond 1e-24. */
export function parseUsd(value: string | number): Units {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`not a decimal amount: ${JSON.stringify(text)}`);
  }
  const negative = match[1] === '-';
  const digits = `${match[2] ?? ''}${match[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  const exponent = Number(match[4] ?? '0') - (match[3] ?? '').length + SCALE_DIGITS;
  let units: bigint;
  if (exponent >= 0) {
    units = BigInt(digits || '0') * 10n ** BigInt(exponent);
  } else {
    const divisor = 10n ** BigInt(-exponent);
    const whole = BigInt(digits || '0');
    units = whole / divisor + ((whole % divisor) * 2n >= divisor ? 1n : 0n);
  }
  return negative ? -units : units;
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`);
  return String(value);
}

/** Exact decimal text, no exponent, no trailing zeros: 905600000000000000000 units → "0.0009056". */
export function formatUsd(units: Units): string {
  if (units === 0n) return '0';
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(SCALE_DIGITS + 1, '0');
  // Trailing zeros of the fraction go (a loop: this runs several times per request).
  let end = digits.length;
  while (end > digits.length - SCALE_DIGITS && digits.charCodeAt(end - 1) === 48) end--;
  const whole = digits.slice(0, -SCALE_DIGITS);
  const fraction = digits.slice(digits.length - SCALE_DIGITS, end);
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** The nearest double, as reported in JSON bodies (`usage.cost`, `/credits`). */
export function usdToNumber(units: Units): number {
  return units === 0n ? 0 : Number(formatUsd(units));
}

/** `units × numerator / denominator`, rounded half up (only reached for unusual discounts). */
export function scaleUnits(units: Units, numerator: bigint, denominator: bigint): Units {
  const product = units * numerator;
  const quotient = product / denominator;
  const remainder = product % denominator;
  return remainder * 2n >= denominator ? quotient + 1n : quotient;
}
