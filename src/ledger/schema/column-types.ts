import type { ColumnType } from 'kysely';

/**
 * How values come back from the two drivers: better-sqlite3 (with safe integers on) returns every
 * INTEGER as a bigint; pg returns BIGINT and NUMERIC as strings and INTEGER/SMALLINT as numbers.
 * Row mappers convert explicitly (`row-mapper.ts`), so columns are typed by what may be read.
 */
export type DbInteger = bigint | number | string;

/** An INTEGER (SQLite) / INTEGER or SMALLINT (PostgreSQL) column; written as a number. */
export type IntColumn = ColumnType<DbInteger, number, number>;
export type NullableIntColumn = ColumnType<DbInteger | null, number | null | undefined, number | null>;

/** Picodollars or epoch milliseconds: INTEGER (SQLite) / BIGINT (PostgreSQL); written as bigint. */
export type BigColumn = ColumnType<DbInteger, bigint | number, bigint | number>;
export type NullableBigColumn = ColumnType<
  DbInteger | null,
  bigint | number | null | undefined,
  bigint | number | null
>;

/** JSON: TEXT on SQLite (read back as a string), JSONB on PostgreSQL (read back parsed). */
export type JsonColumn = ColumnType<unknown, string | null | undefined, string | null>;

export type NullableText = ColumnType<string | null, string | null | undefined, string | null>;

/** An integer column with a default: optional on insert. */
export type DefaultedIntColumn = ColumnType<DbInteger, number | undefined, number>;
