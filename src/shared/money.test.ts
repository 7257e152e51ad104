import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MoneyFormatError,
  moneyFromUnitsString,
  moneyFromUsd,
  moneyToNumber,
  moneyToUnitsString,
  moneyToUsdString,
  priceTimes,
  sumMoney,
} from './money.ts';

describe('money', () => {
  it('parses the fixture amounts exactly', () => {
    expect(moneyFromUsd(0.0009056)).toBe(905_600_000n);
    expect(moneyFromUsd(6e-7)).toBe(600_000n);
    expect(moneyFromUsd('6e-07')).toBe(600_000n);
    expect(moneyFromUsd('0.000905')).toBe(905_000_000n);
    expect(moneyFromUsd(6e-7) + moneyFromUsd('0.000905')).toBe(moneyFromUsd(0.0009056));
  });

  it('multiplies per-token prices exactly', () => {
    expect(priceTimes('0.00000015', 29) + priceTimes('0.0000006', 33)).toBe(moneyFromUsd('0.00002415'));
    expect(priceTimes('0.0000000375', 3)).toBe(112_500n);
    expect(priceTimes('0', 1_000_000)).toBe(0n);
  });

  it('rounds digits finer than 1e-12 half to even', () => {
    expect(moneyFromUsd('0.0000000000005')).toBe(0n);
    expect(moneyFromUsd('0.0000000000015')).toBe(2n);
    expect(moneyFromUsd('0.00000000000051')).toBe(1n);
    expect(moneyFromUsd('-0.0000000000015')).toBe(-2n);
  });

  it('formats without trailing zeros', () => {
    expect(moneyToUsdString(905_600_000n)).toBe('0.0009056');
    expect(moneyToUsdString(-3_000_000_000_000n)).toBe('-3');
    expect(moneyToUsdString(0n)).toBe('0');
    expect(moneyToNumber(905_600_000n)).toBe(0.0009056);
  });

  it('refuses what is not an amount, saying what it expected', () => {
    for (const bad of ['', 'abc', '1.2.3', '--1', '.', '1e999999', Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => moneyFromUsd(bad)).toThrow(MoneyFormatError);
    }
    expect(() => moneyFromUsd('x')).toThrow(/Expected a decimal/);
    expect(() => moneyFromUnitsString('1.5')).toThrow(MoneyFormatError);
  });

  it('round-trips any decimal string with up to 12 places exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (units) => {
        expect(moneyFromUsd(moneyToUsdString(units))).toBe(units);
        expect(moneyFromUnitsString(moneyToUnitsString(units))).toBe(units);
      }),
    );
  });

  it('sums a million random costs exactly', () => {
    const rng = fc.sample(fc.bigInt({ min: 0n, max: 10n ** 10n }), { numRuns: 1_000_000, seed: 42 });
    let expected = 0n;
    for (const units of rng) expected += units;
    const viaText = sumMoney(rng.map((units) => moneyFromUsd(moneyToUsdString(units))));
    expect(viaText).toBe(expected);
  });
});
