/**
 * Errors that mean "the database cannot be reached or written right now" as opposed to "this data
 * is wrong": the first kind sends writes to the local spool, the second rejects the caller.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ledger_unavailable',
]);

// SQLSTATE: admin/crash shutdown, cannot connect now, too many connections, out of disk/memory.
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53100', '53200', '58030']);

const POSTGRES_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection ended unexpectedly/i,
  /Client was closed and is not queryable/i,
  /terminating connection/i,
];

const SQLITE_CODES = [/^SQLITE_BUSY/, /^SQLITE_LOCKED/, /^SQLITE_IOERR/, /^SQLITE_FULL/, /^SQLITE_CANTOPEN/];

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    chain.push(current);
    if (current instanceof AggregateError) chain.push(...current.errors);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

export function isPostgresUnavailable(error: unknown): boolean {
  return causes(error).some((item) => {
    const code = errorCode(item);
    if (code && (NETWORK_CODES.has(code) || POSTGRES_STATES.has(code) || code.startsWith('08'))) return true;
    const message = item instanceof Error ? item.message : '';
    return POSTGRES_MESSAGES.some((pattern) => pattern.test(message));
  });
}

export function isSqliteUnavailable(error: unknown): boolean {
  return causes(error).some((item) => {
    const code = errorCode(item);
    if (!code) return false;
    return NETWORK_CODES.has(code) || SQLITE_CODES.some((pattern) => pattern.test(code));
  });
}
