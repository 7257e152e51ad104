import { fileURLToPath } from 'node:url';
import { LedgerError } from './ledger-errors.ts';

export type LedgerLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string };

export const DEFAULT_SQLITE_PATH = './tollgate.db';

/**
 * Reads a `TOLLGATE_DB`-style location: unset or empty → `./tollgate.db`; a path, `sqlite:path`,
 * `sqlite:///abs/path`, `file:` URL or `:memory:` → SQLite; `postgres://` / `postgresql://` →
 * PostgreSQL. Any other scheme is refused rather than taken for a file name.
 */
export function parseLedgerUrl(url: string | undefined | null): LedgerLocation {
  const text = (url ?? '').trim();
  if (text === '') return { dialect: 'sqlite', path: DEFAULT_SQLITE_PATH };
  if (/^postgres(ql)?:\/\//i.test(text)) return { dialect: 'postgres', connectionString: text };
  if (/^sqlite:/i.test(text)) {
    let rest = text.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === '') throw new LedgerError('ledger_url', `No SQLite path in ${JSON.stringify(text)}.`);
    return { dialect: 'sqlite', path: rest };
  }
  if (/^file:/i.test(text)) return { dialect: 'sqlite', path: pathOfFileUrl(text) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new LedgerError(
      'ledger_url',
      `Unsupported database URL scheme in ${JSON.stringify(text.replace(/\/\/[^@/]*@/, '//***@'))}: use a SQLite path, sqlite:path or postgres://…`,
    );
  }
  return { dialect: 'sqlite', path: text };
}

/**
 * A `file:` URL's path. `file:rel.db` (no slash after the colon, as SQLite's own URIs allow) stays
 * relative to the working directory: WHATWG URL parsing would root it at `/rel.db`. Absolute forms
 * (`file:/abs`, `file:///abs`, `file://localhost/abs`) go through `fileURLToPath`, whose refusals
 * (another host, an encoded slash) become a ledger_url error naming the value.
 */
function pathOfFileUrl(text: string): string {
  const rest = text.slice('file:'.length).replace(/[?#].*$/s, '');
  if (rest === '') throw new LedgerError('ledger_url', `No SQLite path in ${JSON.stringify(text)}.`);
  if (!rest.startsWith('/')) {
    try {
      return decodeURIComponent(rest);
    } catch {
      throw new LedgerError('ledger_url', `Invalid percent-escape in ${JSON.stringify(text)}.`);
    }
  }
  try {
    return fileURLToPath(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LedgerError(
      'ledger_url',
      `Cannot use ${JSON.stringify(text)} as a SQLite file: ${reason.replace(/\.$/, '')}. Use a local path such as ./tollgate.db or file:///abs/path.db.`,
    );
  }
}

/** The URL with any password replaced, for logs. */
export function redactLedgerUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
