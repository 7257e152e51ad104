import { describe, expect, it } from 'vitest';
import {
  parseChoiceFlag,
  parseFutureTimeFlag,
  parseIntFlag,
  parseListFlag,
  parseTimeFlag,
  parseUsdFlag,
  UsageError,
} from './flags.ts';
import { colourEnabled, createStyle, visibleLength } from './style.ts';

const NOW = Date.UTC(2025, 5, 15, 12, 30, 0);

describe('flag parsing', () => {
  it('reads durations back from now, keywords and ISO dates', () => {
    expect(parseTimeFlag('--since', '7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeFlag('--since', '24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseTimeFlag('--since', '30m', NOW)).toBe(NOW - 1_800_000);
    expect(parseTimeFlag('--since', '2w', NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseTimeFlag('--since', '1.5h', NOW)).toBe(NOW - 5_400_000);
    expect(parseTimeFlag('--since', 'today', NOW)).toBe(Date.UTC(2025, 5, 15));
    expect(parseTimeFlag('--since', '2025-06-01', NOW)).toBe(Date.UTC(2025, 5, 1));
    expect(parseTimeFlag('--until', '2025-06-01T10:00:00Z', NOW)).toBe(Date.UTC(2025, 5, 1, 10));
    expect(parseTimeFlag('--since', undefined, NOW)).toBeUndefined();
  });

  it('refuses anything else with one line naming the flag and an example', () => {
    for (const bad of ['banana', '7', 'd7', '2025-13-45', '', '7 days']) {
      const error = (() => {
        try {
          parseTimeFlag('--since', bad, NOW);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, bad).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(/^--since must be .*Example: --since 7d$/);
      expect((error as UsageError).message).not.toContain('\n');
    }
  });

  it('refuses impossible calendar dates and durations that fall off the calendar', () => {
    expect(parseTimeFlag('--since', '2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29));
    expect(() => parseTimeFlag('--since', '2025-02-30', NOW)).toThrow(
      '--since must be a real calendar date (got "2025-02-30": 2025-02 has 28 days). Example: --since 7d',
    );
    expect(() => parseTimeFlag('--until', '2025-04-31T10:00:00Z', NOW)).toThrow(/2025-04 has 30 days/);
    expect(() => parseTimeFlag('--since', '2025-00-10', NOW)).toThrow(/months go from 01 to 12/);
    expect(() => parseTimeFlag('--since', '99999999999d', NOW)).toThrow(
      '--since must be within 100,000,000 days of 1970; "99999999999d" is too far. Example: --since 7d',
    );
  });

  it('reads an expiry forwards: durations from now, future dates only', () => {
    expect(parseFutureTimeFlag('--expires-at', '7d', NOW)).toBe(NOW + 7 * 86_400_000);
    expect(parseFutureTimeFlag('--expires-at', '2025-07-01T00:00:00Z', NOW)).toBe(Date.UTC(2025, 6, 1));
    expect(parseFutureTimeFlag('--expires-at', undefined, NOW)).toBeUndefined();
    expect(() => parseFutureTimeFlag('--expires-at', '2025-06-01', NOW)).toThrow(
      /^--expires-at must be in the future \(got "2025-06-01", 2025-06-01T00:00:00.000Z, which has passed\)/,
    );
    expect(() => parseFutureTimeFlag('--expires-at', '0d', NOW)).toThrow(/longer than zero/);
    expect(() => parseFutureTimeFlag('--expires-at', 'today', NOW)).toThrow(
      '--expires-at must be a duration from now (24h, 7d, 2w) or a future ISO date-time (got "today"). Example: --expires-at 7d',
    );
    expect(() => parseFutureTimeFlag('--expires-at', '2026-02-29', NOW)).toThrow(/2026-02 has 28 days/);
  });

  it('checks numbers, money, choices and lists', () => {
    expect(parseIntFlag('--limit', '50', { min: 1, max: 1000, example: '50' })).toBe(50);
    expect(() => parseIntFlag('--limit', '1.5', { min: 1, example: '50' })).toThrow(
      /--limit must be a whole number/,
    );
    expect(() => parseIntFlag('--limit', '0', { min: 1, max: 9, example: '5' })).toThrow(/from 1 to 9/);
    expect(parseUsdFlag('--max-cost', '5')).toBe('5');
    expect(parseUsdFlag('--max-cost', '$0.25')).toBe('0.25');
    expect(() => parseUsdFlag('--max-cost', '-1')).toThrow(/non-negative USD amount/);
    expect(() => parseUsdFlag('--max-cost', '1e3')).toThrow(UsageError);
    // 1e-12 USD is tollgate's smallest unit: finer amounts are refused, not rounded to $0.
    expect(parseUsdFlag('--max-cost', '0.000000000001')).toBe('0.000000000001');
    expect(parseUsdFlag('--limit', '1.250000000000000')).toBe('1.250000000000000');
    expect(() => parseUsdFlag('--max-cost', '0.000000000000001')).toThrow(
      '--max-cost: USD amounts go to 12 decimal places at most (got "0.000000000000001", 15 places); round it. Example: --max-cost 5',
    );
    expect(() => parseUsdFlag('--limit', '2.0000000000005')).toThrow(UsageError);
    expect(parseChoiceFlag('--sort', 'PRICE', ['price', 'name'] as const)).toBe('price');
    expect(() => parseChoiceFlag('--sort', 'size', ['price', 'name'] as const)).toThrow(
      '--sort must be one of price, name (got "size"). Example: --sort price',
    );
    expect(parseListFlag('--by', 'module, model', ['module', 'model', 'user'] as const)).toEqual([
      'module',
      'model',
    ]);
    expect(() => parseListFlag('--by', 'module,colour', ['module', 'model'] as const)).toThrow(
      /"colour" is not one of/,
    );
    expect(() => parseListFlag('--by', ' , ')).toThrow(/at least one value/);
  });
});

describe('style', () => {
  it('colours only a terminal, honours NO_COLOR and FORCE_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(createStyle(false).red('x')).toBe('x');
    const red = createStyle(true).red('error');
    expect(red).toBe('\u001b[31merror\u001b[39m');
    expect(visibleLength(red)).toBe(5);
  });
});
