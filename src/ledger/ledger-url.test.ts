import { describe, expect, it } from 'vitest';
import { parseLedgerUrl, redactLedgerUrl } from './ledger-url.ts';
import { defaultSpoolDir } from './open-ledger.ts';

describe('parseLedgerUrl', () => {
  it('defaults to ./tollgate.db', () => {
    expect(parseLedgerUrl(undefined)).toEqual({ dialect: 'sqlite', path: './tollgate.db' });
    expect(parseLedgerUrl('  ')).toEqual({ dialect: 'sqlite', path: './tollgate.db' });
  });

  it('reads SQLite paths in every spelling', () => {
    expect(parseLedgerUrl('data/ledger.db')).toEqual({ dialect: 'sqlite', path: 'data/ledger.db' });
    expect(parseLedgerUrl(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseLedgerUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseLedgerUrl('sqlite:./x.db')).toEqual({ dialect: 'sqlite', path: './x.db' });
    expect(parseLedgerUrl('sqlite:///var/x.db')).toEqual({ dialect: 'sqlite', path: '/var/x.db' });
    expect(parseLedgerUrl('file:///var/y.db')).toEqual({ dialect: 'sqlite', path: '/var/y.db' });
  });

  it('keeps a relative file: URL relative to the working directory', () => {
    expect(parseLedgerUrl('file:rel.db')).toEqual({ dialect: 'sqlite', path: 'rel.db' });
    expect(parseLedgerUrl('file:./data/my%20ledger.db')).toEqual({
      dialect: 'sqlite',
      path: './data/my ledger.db',
    });
    expect(parseLedgerUrl('file:/abs/z.db')).toEqual({ dialect: 'sqlite', path: '/abs/z.db' });
    expect(parseLedgerUrl('file://localhost/abs/z.db')).toEqual({ dialect: 'sqlite', path: '/abs/z.db' });
  });

  it('refuses a file: URL it cannot use as a ledger_url error naming it', () => {
    for (const bad of ['file://remote/x.db', 'file:', 'file:%E0%A4%A.db']) {
      expect(() => parseLedgerUrl(bad)).toThrow(expect.objectContaining({ code: 'ledger_url' }));
    }
    expect(() => parseLedgerUrl('file://remote/x.db')).toThrow(/"file:\/\/remote\/x\.db".*local path/);
  });

  it('recognises PostgreSQL URLs', () => {
    const url = 'postgresql://u:p@db:5432/tollgate';
    expect(parseLedgerUrl(url)).toEqual({ dialect: 'postgres', connectionString: url });
    expect(parseLedgerUrl('postgres://db/x').dialect).toBe('postgres');
  });

  it('refuses other schemes without echoing the password', () => {
    expect(() => parseLedgerUrl('mysql://root:secret@h/db')).toThrow(/Unsupported/);
    expect(() => parseLedgerUrl('mysql://root:secret@h/db')).not.toThrow(/secret/);
    expect(() => parseLedgerUrl('sqlite:')).toThrow(/No SQLite path/);
  });

  it('redacts passwords', () => {
    expect(redactLedgerUrl('postgres://u:pw@h:1/d')).toBe('postgres://u:***@h:1/d');
  });
});

describe('defaultSpoolDir', () => {
  const spoolOf = (url: string) => defaultSpoolDir(parseLedgerUrl(url));

  it('gives each PostgreSQL database a spool folder of its own, named without credentials', () => {
    const ledger = spoolOf('postgres://tg:secret@db.internal:5432/ledger');
    expect(ledger).toMatch(/^\.\/tollgate-spool\/ledger-[0-9a-f]{12}$/);
    expect(ledger).not.toContain('secret');
    // Another user or password, the same database: the same spool.
    expect(spoolOf('postgresql://other:pw@db.internal/ledger')).toBe(ledger);
    // Another database, port or host: another spool, which this ledger never replays.
    for (const url of [
      'postgres://tg:secret@db.internal:5432/reports',
      'postgres://tg:secret@db.internal:5433/ledger',
      'postgres://tg:secret@db2.internal:5432/ledger',
    ]) {
      expect(spoolOf(url)).not.toBe(ledger);
    }
  });

  it('keeps a SQLite ledger spool beside its file', () => {
    expect(spoolOf('data/ledger.db')).toBe('data/ledger.db.spool');
    expect(spoolOf(':memory:')).toBeNull();
  });
});
