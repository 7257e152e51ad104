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

/** RFC 4180 CSV of flat rows (nested values as JSON), header from the first row's keys. */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const first = rows[0];
  if (!first) return '';
  const columns = Object.keys(first);
  const cell = (value: unknown): string => {
    const text =
      value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${[columns.join(','), ...rows.map((row) => columns.map((column) => cell(row[column])).join(','))].join('\r\n')}\r\n`;
}
