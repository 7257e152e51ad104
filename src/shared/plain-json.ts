import { type Money, moneyToUsdString } from './money.ts';

/**
 * Makes ledger values safe for JSON: every bigint in tollgate is Money, so it becomes its exact
 * USD decimal text ("0.0009056"); nested objects and arrays are converted too.
 */
export function toPlainJson(value: unknown): unknown {
  if (typeof value === 'bigint') return moneyToUsdString(value as Money);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = toPlainJson(child);
    return out;
  }
  return value;
}

/**
 * RFC 4180 CSV of flat rows (nested values as JSON). `columns` is the report's column set, so an
 * empty report still gets its header line (a script reading it then sees "no rows", not "no
 * file"); without it the first row's keys are used, and no rows give no output at all.
 */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const names = columns ?? (rows[0] ? Object.keys(rows[0]) : undefined);
  if (!names) return '';
  const cell = (value: unknown): string => {
    const text =
      value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = names.map(cell).join(',');
  return `${[header, ...rows.map((row) => names.map((name) => cell(row[name])).join(','))].join('\r\n')}\r\n`;
}
