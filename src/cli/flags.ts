/**
 * Parsing and checking flag values. Every failure is a UsageError whose message is the one line
 * the user sees: which flag, what was given, what is expected, and an example.
 */
import {
  MAX_STORED_MONEY,
  MONEY_SCALE,
  MoneyFormatError,
  moneyFromUsd,
  moneyToUsdString,
} from '../shared/money.ts';

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

const DURATION = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
/** The farthest a JavaScript Date reaches either side of 1970 (100,000,000 days). */
const MAX_DATE_MS = 8.64e15;

/** `7d` in milliseconds; undefined when the text is not a duration. */
function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const [, amount = '0', unit = 's'] = match;
  return Number(amount) * (UNITS_MS[unit.toLowerCase()] ?? 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * An ISO date or date-time as epoch milliseconds; undefined when the text is not one. A date the
 * calendar does not have is refused: Date.parse would quietly turn 2025-02-30 into March 2nd.
 */
function isoDateMs(flag: string, raw: string, text: string, example: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    const why =
      month < 1 || month > 12
        ? 'months go from 01 to 12'
        : `${match[1]}-${match[2]} has ${daysInMonth(year, month)} days`;
    throw new UsageError(
      `${flag} must be a real calendar date (got "${raw}": ${why}). Example: ${flag} ${example}`,
    );
  }
  const value = Date.parse(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A duration so long that the instant falls off JavaScript's calendar is a typo, named as such. */
function withinCalendar(flag: string, raw: string, value: number, example: string): number {
  if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_DATE_MS) {
    throw new UsageError(
      `${flag} must be within 100,000,000 days of 1970; "${raw}" is too far. Example: ${flag} ${example}`,
    );
  }
  return value;
}

/**
 * A point in the past or present: a duration back from `now` (`30m`, `24h`, `7d`, `2w`, `90s`),
 * `now`, `today` (midnight UTC), or an ISO date or date-time (`2025-06-01`, `2025-06-01T12:00:00Z`).
 */
export function parseTimeFlag(flag: string, raw: string | undefined, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const duration = durationMs(text);
  if (duration !== undefined) return withinCalendar(flag, raw, Math.round(now - duration), '7d');
  if (text === 'now') return now;
  if (text === 'today') {
    const date = new Date(now);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  }
  const date = isoDateMs(flag, raw, text, '7d');
  if (date !== undefined) return date;
  throw new UsageError(
    `${flag} must be a duration back from now (30m, 24h, 7d, 2w) or an ISO date (got "${raw}"). Example: ${flag} 7d`,
  );
}

/**
 * A point in the future (an expiry): a duration from `now` (`24h`, `7d`, `2w`) or an ISO date or
 * date-time after `now`. Unlike `parseTimeFlag`, durations count forwards.
 */
export function parseFutureTimeFlag(flag: string, raw: string | undefined, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const duration = durationMs(text);
  if (duration !== undefined) {
    if (duration <= 0)
      throw new UsageError(`${flag} must be a duration longer than zero (got "${raw}"). Example: ${flag} 7d`);
    return withinCalendar(flag, raw, Math.round(now + duration), '7d');
  }
  const date = isoDateMs(flag, raw, text, '7d');
  if (date !== undefined) {
    if (date <= now) {
      throw new UsageError(
        `${flag} must be in the future (got "${raw}", ${new Date(date).toISOString()}, which has passed). Example: ${flag} 7d`,
      );
    }
    return withinCalendar(flag, raw, date, '7d');
  }
  throw new UsageError(
    `${flag} must be a duration from now (24h, 7d, 2w) or a future ISO date-time (got "${raw}"). Example: ${flag} 7d`,
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
      if (moneyFromUsd(text) > MAX_STORED_MONEY) {
        throw new UsageError(
          `${flag}: at most $${moneyToUsdString(MAX_STORED_MONEY)}, the largest amount the ledger stores (got "${raw}"). Example: ${flag} ${example}`,
        );
      }
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
