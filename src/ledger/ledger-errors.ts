const LEDGER_ERROR = Symbol.for('tollgate.ledger.error');

export type LedgerErrorCode =
  | 'ledger_closed'
  | 'ledger_unavailable'
  | 'ledger_invalid_input'
  | 'ledger_url'
  /** A SQLite ledger file that does not exist, opened by a caller that would not create one. */
  | 'ledger_missing'
  /** The database named could not be opened: no connection, not a database, no permission… */
  | 'ledger_open'
  | 'ledger_migration'
  | 'budget_exceeded';

/** Base of the ledger's errors; `code` is stable and never reused. */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly [LEDGER_ERROR] = true;
  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerError';
    this.code = code;
  }

  /** A guard that works across duplicated module copies, where `instanceof` fails. */
  static isInstance(error: unknown): error is LedgerError {
    return (
      typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[LEDGER_ERROR] === true
    );
  }
}

export function invalidInput(message: string): LedgerError {
  return new LedgerError('ledger_invalid_input', message);
}
