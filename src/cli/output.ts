/**
 * What commands print: aligned tables for people, one JSON document or CSV for scripts. Money is
 * always exact decimal text in JSON and CSV (bigint amounts become USD strings).
 */

import { escapeControlCharacters } from '../shared/control-characters.ts';
import { type Money, moneyToUsdString } from '../shared/money.ts';
import { toCsv, toPlainJson } from '../shared/plain-json.ts';
import { type Colour, type Style, stdoutStyle, visibleLength } from './style.ts';

export interface Column<T> {
  header: string;
  /** The cell's plain text; control characters in it are shown escaped (see `renderTable`). */
  value: (row: T) => string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /** A colour for the cell, applied after its text is made safe (so it is the only escape code in it). */
  colour?: (row: T) => Colour | undefined;
}

/**
 * Columns padded to their widest cell; the header bold when colour is on. Cells hold ledger and
 * upstream data (module names, user ids, key labels…): their control characters are written out
 * as escapes, so a stored value can neither drive the terminal nor break a row.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: Style): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const text = escapeControlCharacters(column.value(row));
      const colour = column.colour?.(row);
      return colour ? style[colour](text) : text;
    }),
  );
  const widths = columns.map((column, index) =>
    Math.max(visibleLength(column.header), ...cells.map((line) => visibleLength(line[index] ?? ''))),
  );
  const pad = (text: string, index: number) => {
    const fill = ' '.repeat(Math.max(0, (widths[index] ?? 0) - visibleLength(text)));
    return columns[index]?.align === 'right' ? `${fill}${text}` : `${text}${fill}`;
  };
  const header = columns
    .map((column, index) => pad(escapeControlCharacters(column.header), index))
    .join('  ');
  const lines = cells.map((line) => line.map(pad).join('  ').trimEnd());
  return `${[style.bold(header.trimEnd()), ...lines].join('\n')}\n`;
}

export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
  if (rows.length === 0) {
    process.stderr.write(`${empty}\n`);
    return;
  }
  process.stdout.write(renderTable(rows, columns, stdoutStyle()));
}

/** One JSON document on stdout (pretty, so it also reads well), money as exact USD strings. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(toPlainJson(value), null, 2)}\n`);
}

/**
 * CSV on stdout. The columns are the report's own (not the first row's keys), so a report with no
 * rows still prints its header line.
 */
export function printCsv<Name extends string>(
  columns: readonly Name[],
  rows: readonly Readonly<Record<Name, unknown>>[],
): void {
  const plain = rows.map((row) => toPlainJson(row) as Record<string, unknown>);
  process.stdout.write(toCsv(plain, columns));
}

/** "$0.0012345" for tables: exact, trailing zeros dropped. */
export function usd(amount: Money | null | undefined): string {
  if (amount === null || amount === undefined) return '?';
  return amount < 0n ? `-$${moneyToUsdString(-amount)}` : `$${moneyToUsdString(amount)}`;
}

export function integer(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toLocaleString('en-US');
}

/** Local time, to the second: what people compare with their clock. */
export function timestamp(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '-';
  const date = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  if (minutes < 60) return `${minutes}m${String(seconds).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Text cut to `max` characters with an ellipsis, on one line. */
export function clip(text: string | null | undefined, max: number): string {
  if (!text) return '-';
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
