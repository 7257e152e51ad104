import type { DbInteger } from './schema/column-types.ts';

/** Conversions from what the drivers return (see schema/column-types.ts) to the ledger's types. */
export function toNumber(value: DbInteger | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

export function toNumberOr(value: DbInteger | null | undefined, fallback: number): number {
  return toNumber(value) ?? fallback;
}

export function toBigint(value: DbInteger | null | undefined): bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return BigInt(value);
}

export function toFlag(value: DbInteger | null | undefined): boolean | null {
  const number = toNumber(value);
  return number === null ? null : number !== 0;
}

/** JSON columns: TEXT on SQLite (a string to parse), JSONB on PostgreSQL (already parsed). */
export function fromJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

/** '' is how the rollup stores "none"; outside it is null. */
export function dimension(value: string | null | undefined): string {
  return value ?? '';
}

export function fromDimension(value: string): string | null {
  return value === '' ? null : value;
}
