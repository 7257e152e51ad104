import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceTimes } from '../shared/money.ts';
import {
  decimalTimesToMoney,
  decimalToString,
  divideRounded,
  multiplyDecimal,
  parseDecimal,
} from './decimal.ts';

describe('decimal', () => {
  it('parses and prints exactly', () => {
    const parse = (text: string | number) => {
      const value = parseDecimal(text);
      if (!value) throw new Error(`unparsed ${text}`);
      return decimalToString(value);
    };
    expect(parse('6e-07')).toBe('0.0000006');
    expect(parse('0.00000075')).toBe('0.00000075');
    expect(parse(' 12.500 ')).toBe('12.5');
    expect(parse('-1')).toBe('-1');
    expect(parse(1e21)).toBe('1000000000000000000000');
    expect(parse('.5')).toBe('0.5');
    expect(parseDecimal('abc')).toBeUndefined();
    expect(parseDecimal('.')).toBeUndefined();
    expect(parseDecimal(Number.NaN)).toBeUndefined();
    expect(parseDecimal('1e999')).toBeUndefined();
  });

  it('multiplies exactly', () => {
    const a = parseDecimal('0.00000075');
    const b = parseDecimal('0.85');
    if (!a || !b) throw new Error('unparsed');
    expect(decimalToString(multiplyDecimal(a, b))).toBe('0.0000006375');
  });

  it('rounds to money like priceTimes (half-even), or up, or down', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: -20, max: 2 }),
        fc.integer({ min: 0, max: 10 ** 7 }),
        (digits, exponent, count) => {
          const text = `${digits}e${exponent}`;
          const price = parseDecimal(text);
          if (!price) return false;
          const even = decimalTimesToMoney(price, BigInt(count), 'half-even');
          const ceil = decimalTimesToMoney(price, BigInt(count), 'ceil');
          const floor = decimalTimesToMoney(price, BigInt(count), 'floor');
          return even === priceTimes(text, count) && floor <= even && even <= ceil && ceil - floor <= 1n;
        },
      ),
    );
    expect(divideRounded(-7n, 2n, 'floor')).toBe(-4n);
    expect(divideRounded(-7n, 2n, 'ceil')).toBe(-3n);
  });
});
