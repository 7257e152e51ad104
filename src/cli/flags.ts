/**
 * Parsing and checking flag values. Every failure is a UsageError whose message is the one line
 * the user sees: which flag, what was given, what is expected, and an example.
 */
import { MONEY_SCALE, MoneyFormatError, moneyFromUsd } from '../shared/money.ts';

/** A flag or argument that cannot be used: exit code 2, the message names the flag and the fix. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const UNITS_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * A point in time: a duration back from `now` (`30m`, `24h`, `7d`, `2w`, `90s`), `now`, `today`
 * (midnight UTC), or an ISO date or date-time (`2025-06-01`, `2025-06-01T12:00:00Z`).
 */
export function parseTimeFlag(flag: string, raw: string | undefined, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text);
  if (duration) {
    const [, amount = '0', unit = 's'] = duration;
    return Math.round(now - Number(amount) * (UNITS_MS[unit.toLowerCase()] ?? 0));
  }
  if (text === 'now') return now;
  if (text === 'today') {
    const date = new Date(now);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const value = Date.parse(text);
    if (Number.isFinite(value)) return value;
  }
  throw new UsageError(
    `${flag} must be a duration back from now (30m, 24h, 7d, 2w) or an ISO date (got "${raw}"). Example: ${flag} 7d`,
  );
}

export function parseIntFlag(
  flag: string,
  raw: string | undefined,
  range: { min: number; max?: number; example: string },
): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const value = Number(text);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < range.min || value > max) {
    const span = range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new UsageError(
      `${flag} must be a whole number ${span} (got "${raw}"). Example: ${flag} ${range.example}`,
    );
  }
  return value;
}

export function parseNumberFlag(
  flag: string,
  raw: string | undefined,
  range: { min: number; max?: number; example: string },
): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const value = Number(text);
  const max = range.max ?? Number.POSITIVE_INFINITY;
  if (text === '' || !Number.isFinite(value) || value < range.min || value > max) {
    const span = range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new UsageError(
      `${flag} must be a number ${span} (got "${raw}"). Example: ${flag} ${range.example}`,
    );
  }
  return value;
}

/**
 * A USD amount kept as exact decimal text ("5", "0.25"); checked by the money parser. Digits past
 * tollgate's smallest unit (1e-12 USD) are refused rather than rounded: the money parser would
 * round 0.000000000000001 to $0, and a cap or limit of $0 is not what anyone typed.
 */
export function parseUsdFlag(flag: string, raw: string | undefined, example = '5'): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/^\$/, '');
  const significantDecimals = (/\.(\d*?)0*$/.exec(text)?.[1] ?? '').length;
  if (/^\d+\.\d+$/.test(text) && significantDecimals > MONEY_SCALE) {
    throw new UsageError(
      `${flag}: USD amounts go to ${MONEY_SCALE} decimal places at most (got "${raw}", ${significantDecimals} places); round it. Example: ${flag} ${example}`,
    );
  }
  let ok = /^\d+(\.\d+)?$/.test(text);
  if (ok) {
    try {
      moneyFromUsd(text);
    } catch (error) {
      if (!(error instanceof MoneyFormatError)) throw error;
      ok = false;
    }
  }
  if (!ok) {
    throw new UsageError(
      `${flag} must be a non-negative USD amount such as 5 or 0.25 (got "${raw}"). Example: ${flag} ${example}`,
    );
  }
  return text;
}

/** One of a fixed set of words. */
export function parseChoiceFlag<T extends string>(
  flag: string,
  raw: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().toLowerCase();
  const match = choices.find((choice) => choice === text);
  if (match === undefined) {
    throw new UsageError(
      `${flag} must be one of ${choices.join(', ')} (got "${raw}"). Example: ${flag} ${choices[0]}`,
    );
  }
  return match;
}

/** A comma-separated list, each item among `choices` when given. */
export function parseListFlag<T extends string>(
  flag: string,
  raw: string | undefined,
  choices?: readonly T[],
): T[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) {
    throw new UsageError(
      `${flag} needs at least one value (got "${raw}"). Example: ${flag} ${choices?.slice(0, 2).join(',') ?? 'a,b'}`,
    );
  }
  if (!choices) return items as T[];
  for (const item of items) {
    if (!choices.includes(item as T)) {
      throw new UsageError(
        `${flag}: "${item}" is not one of ${choices.join(', ')}. Example: ${flag} ${choices.slice(0, 2).join(',')}`,
      );
    }
  }
  return items as T[];
}

/** A text value that must not be blank. */
export function parseTextFlag(flag: string, raw: string | undefined, example: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') throw new UsageError(`${flag} must not be empty. Example: ${flag} ${example}`);
  return text;
}

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `--format`: the listing formats a command supports; `table` when not given. */
export function parseFormatFlag<T extends OutputFormat>(
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  return parseChoiceFlag('--format', raw, allowed) ?? fallback;
}
