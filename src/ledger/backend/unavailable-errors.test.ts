import { describe, expect, it } from 'vitest';
import { isPostgresUnavailable, isSqliteUnavailable } from './unavailable-errors.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('unavailable errors', () => {
  it('tells an unreachable PostgreSQL from bad data', () => {
    expect(isPostgresUnavailable(coded('ECONNREFUSED'))).toBe(true);
    expect(isPostgresUnavailable(coded('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isPostgresUnavailable(coded('08006'))).toBe(true);
    expect(isPostgresUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isPostgresUnavailable(new Error('x', { cause: coded('ETIMEDOUT') }))).toBe(true);
    expect(isPostgresUnavailable(new AggregateError([coded('ECONNREFUSED')]))).toBe(true);
    expect(isPostgresUnavailable(coded('23505', 'duplicate key value'))).toBe(false);
    expect(isPostgresUnavailable(coded('23514', 'check constraint'))).toBe(false);
  });

  it('tells a failing SQLite file from bad data', () => {
    expect(isSqliteUnavailable(coded('SQLITE_BUSY'))).toBe(true);
    expect(isSqliteUnavailable(coded('SQLITE_IOERR_WRITE'))).toBe(true);
    expect(isSqliteUnavailable(coded('SQLITE_FULL'))).toBe(true);
    expect(isSqliteUnavailable(coded('SQLITE_CONSTRAINT_CHECK'))).toBe(false);
    expect(isSqliteUnavailable(new Error('plain'))).toBe(false);
  });
});
