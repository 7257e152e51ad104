import type { DialectName } from '../backend/store-backend.ts';

/** Logical column types → the dialect's type names (flags are 0/1 integers on both, so one SQL fits). */
export interface ColumnTypeNames {
  text: 'text';
  big: 'integer' | 'bigint';
  int: 'integer';
  flag: 'integer' | 'smallint';
  json: 'text' | 'jsonb';
}

export function columnTypeNames(dialect: DialectName): ColumnTypeNames {
  return dialect === 'postgres'
    ? { text: 'text', big: 'bigint', int: 'integer', flag: 'smallint', json: 'jsonb' }
    : { text: 'text', big: 'integer', int: 'integer', flag: 'integer', json: 'text' };
}
