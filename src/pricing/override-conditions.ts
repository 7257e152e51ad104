/**
 * When does a pricing override entry apply? (§8.2) All of its conditions must match:
 * - `min_prompt_tokens`: the request's prompt tokens are strictly greater;
 * - `utc_start` / `utc_end`: HHMM clock numbers (1030 = 10:30; text "1030" or "10:30" also read),
 *   half-open window [start, end) in UTC that wraps past midnight when start > end. Only a start:
 *   [start, 24:00); only an end: [00:00, end); start = end: an empty window;
 * - `utc_days`: the UTC weekday of the same instant ("evaluated at the request instant", as the
 *   OpenRouter SDK documents it): names, any case, full or three letters ("monday", "Mon"), as the
 *   SDK types them; numbers 0–6 with 0 = Sunday (JavaScript's getUTCDay) are accepted too, and 7
 *   also means Sunday.
 * An entry with a condition key we do not know, or a condition value we cannot read, is
 * `unknown`: it never applies to an exact price, and is treated as possibly applying for bounds.
 */
import { OVERRIDE_CONDITION_KEYS, PRICE_KEYS, type PricingOverride } from './pricing-schema.ts';

export type Applicability = 'applies' | 'does-not-apply' | 'unknown';

const KNOWN_NON_CONDITION_KEYS = new Set<string>([...PRICE_KEYS, 'discount']);
const CONDITION_KEYS = new Set<string>(OVERRIDE_CONDITION_KEYS);
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MINUTES_PER_DAY = 24 * 60;

/** An entry's conditions in a usable form. */
export interface OverrideConditions {
  readonly minPromptTokens?: number;
  readonly window?: { readonly start: number; readonly end: number };
  readonly days?: ReadonlySet<number>;
}

/** The entry's conditions in a usable form, or `undefined` when any of them cannot be read. */
export function readConditions(entry: PricingOverride): OverrideConditions | undefined {
  for (const [key, value] of Object.entries(entry)) {
    if (value === undefined || value === null || KNOWN_NON_CONDITION_KEYS.has(key)) continue;
    if (CONDITION_KEYS.has(key)) continue;
    if (isUnknownPriceKey(key, value)) continue;
    return undefined;
  }
  const conditions: {
    minPromptTokens?: number;
    window?: { start: number; end: number };
    days?: Set<number>;
  } = {};
  if (entry.min_prompt_tokens !== undefined) {
    if (!Number.isFinite(entry.min_prompt_tokens)) return undefined;
    conditions.minPromptTokens = entry.min_prompt_tokens;
  }
  if (entry.utc_start !== undefined || entry.utc_end !== undefined) {
    const start = entry.utc_start === undefined ? 0 : readClock(entry.utc_start);
    const end = entry.utc_end === undefined ? MINUTES_PER_DAY : readClock(entry.utc_end);
    if (start === undefined || end === undefined) return undefined;
    conditions.window = { start, end };
  }
  if (entry.utc_days !== undefined) {
    const days = new Set<number>();
    for (const day of entry.utc_days) {
      const index = readDay(day);
      if (index === undefined) return undefined;
      days.add(index);
    }
    conditions.days = days;
  }
  return conditions;
}

/**
 * A key we do not know whose value is a decimal string and whose name does not look like a
 * condition (`min_…`, `max_…`, `utc_…`) is taken for a new price key: ignored, entry still usable.
 */
function isUnknownPriceKey(key: string, value: unknown): boolean {
  return (
    typeof value === 'string' && /^\d*\.?\d+(?:[eE][+-]?\d+)?$/.test(value) && !/^(min|max|utc)_/.test(key)
  );
}

/** Minutes after midnight from an HHMM number (930, 2400) or text ("0930", "09:30"). */
function readClock(value: number | string): number | undefined {
  let hours: number;
  let minutes: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    hours = Math.floor(value / 100);
    minutes = value % 100;
  } else {
    const match = /^(\d{1,2}):?(\d{2})$/.exec(value.trim());
    if (!match) return undefined;
    hours = Number(match[1]);
    minutes = Number(match[2]);
  }
  if (hours < 0 || minutes < 0 || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0))
    return undefined;
  return hours * 60 + minutes;
}

function readDay(value: string | number): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 7) return undefined;
    return value % 7;
  }
  const text = value.trim().toLowerCase();
  if (/^[0-7]$/.test(text)) return Number(text) % 7;
  const index = DAY_NAMES.findIndex((name) => name === text || (text.length >= 3 && name.startsWith(text)));
  return index === -1 ? undefined : index;
}

function inWindow(window: { start: number; end: number }, minuteOfDay: number): boolean {
  if (window.start <= window.end) return minuteOfDay >= window.start && minuteOfDay < window.end;
  return minuteOfDay >= window.start || minuteOfDay < window.end;
}

function matchesTime(conditions: OverrideConditions, at: Date): boolean {
  const minuteOfDay = at.getUTCHours() * 60 + at.getUTCMinutes();
  if (conditions.window && !inWindow(conditions.window, minuteOfDay)) return false;
  if (conditions.days && !conditions.days.has(at.getUTCDay())) return false;
  return true;
}

/** Whether conditions read by `readConditions` hold for `promptTokens` at the instant `at`. */
export function conditionsMatch(conditions: OverrideConditions, promptTokens: number, at: Date): boolean {
  if (conditions.minPromptTokens !== undefined && !(promptTokens > conditions.minPromptTokens)) return false;
  return matchesTime(conditions, at);
}

/** Whether an override entry applies to a request with `promptTokens` made at `at`. */
export function overrideApplicability(
  entry: PricingOverride,
  context: { readonly promptTokens: number; readonly at: Date },
): Applicability {
  const conditions = readConditions(entry);
  if (!conditions) return 'unknown';
  return conditionsMatch(conditions, context.promptTokens, context.at) ? 'applies' : 'does-not-apply';
}

/** Whether any entry has a time condition (so bounds must look at more than one instant). */
export function hasTimeCondition(conditions: OverrideConditions): boolean {
  return conditions.window !== undefined || conditions.days !== undefined;
}

/** Minute-spaced instants covering [at, at + durationMs] (a full week at most). */
export function candidateInstants(at: Date, durationMs: number): Date[] {
  const minutes = Math.min(Math.max(0, Math.ceil(durationMs / 60_000)), 7 * MINUTES_PER_DAY);
  const instants = [at];
  for (let minute = 1; minute <= minutes; minute++) instants.push(new Date(at.getTime() + minute * 60_000));
  return instants;
}
