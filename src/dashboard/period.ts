/** The period a dashboard view covers, and the time buckets its charts are drawn in. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const RANGES = ['24h', '7d', '30d', '90d'] as const;
export type Range = (typeof RANGES)[number];
export const BUCKETS = ['hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Hourly charts issue one query per hour (the ledger has no hour dimension): keep them short. */
export const MAX_HOUR_BUCKETS = 72;
export const MAX_DAY_BUCKETS = 400;

export interface Period {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive; null means "up to now and beyond" (rows stamped in the future included). */
  until: number | null;
}

export class PeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeriodError';
  }
}

function utcMidnight(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * A named range ends now. Day ranges start on a UTC midnight so the ledger's daily rollup can
 * answer them (the last 7 days = today and the 6 before); 24h starts on an hour boundary so the
 * hourly buckets are whole hours. An explicit `since` (and `until`) wins over the range.
 */
export function resolvePeriod(
  input: { range?: Range | undefined; since?: number | undefined; until?: number | undefined },
  now: number,
): Period {
  if (input.until !== undefined && input.since === undefined) {
    throw new PeriodError('"until" needs a "since".');
  }
  if (input.since !== undefined) {
    const until = input.until ?? null;
    if (until !== null && until <= input.since) throw new PeriodError('"until" must be after "since".');
    return { since: input.since, until };
  }
  const range = input.range ?? '7d';
  if (range === '24h') return { since: Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS, until: null };
  const days = Number(range.slice(0, -1));
  return { since: utcMidnight(now) - (days - 1) * DAY_MS, until: null };
}

/** The default bucket of a period: hours for up to two days, else days. */
export function defaultBucket(period: Period, now: number): Bucket {
  return (period.until ?? now) - period.since <= 48 * HOUR_MS ? 'hour' : 'day';
}

/** Bucket starts (epoch ms) covering the period up to `until` or now, whichever is later-bounded. */
export function bucketStarts(period: Period, bucket: Bucket, now: number): number[] {
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const end = period.until ?? Math.max(now, period.since + 1);
  const first = bucket === 'hour' ? Math.floor(period.since / HOUR_MS) * HOUR_MS : utcMidnight(period.since);
  const count = Math.ceil((end - first) / size);
  const max = bucket === 'hour' ? MAX_HOUR_BUCKETS : MAX_DAY_BUCKETS;
  if (count > max) {
    throw new PeriodError(
      bucket === 'hour'
        ? `Hourly buckets cover at most ${MAX_HOUR_BUCKETS} hours; use bucket=day for a longer period.`
        : `Daily buckets cover at most ${MAX_DAY_BUCKETS} days; choose a shorter period.`,
    );
  }
  return Array.from({ length: count }, (_, index) => first + index * size);
}
