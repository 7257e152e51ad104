/**
 * Tells a failed `GET /generation` that says something about one row from one that says OpenRouter
 * itself cannot answer right now. Only the first is a miss of that row: a rejected key, a rate
 * limit, a 5xx, a timeout or a connection that never opened would fail for every row alike, and
 * counting them as misses would spend every row's bounded retries during an outage, leaving rows
 * that are never checked against the bill once OpenRouter is back.
 *
 * The ledger may not import the client (design.md), so the client's errors are read by shape:
 * `status` (an HTTP status), `category` (`connection` / `timeout`), or a Node/undici error `code`.
 */

/** The HTTP statuses that are about the key or OpenRouter, not about the generation asked for. */
function isSourceStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

/** Node's and undici's codes for a request that never got a response. */
const CONNECTION_CODE =
  /^(E(CONN(REFUSED|RESET|ABORTED)|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND|TIMEDOUT|PIPE)|UND_ERR_)/;

/** The reconciler's own per-fetch deadline passed: OpenRouter did not answer in time. */
export class GenerationFetchTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`GET /generation timed out after ${timeoutMs} ms`);
    this.name = 'GenerationFetchTimeoutError';
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * True when the failure is OpenRouter's or the key's (401/403/408/429/5xx, no connection, a
 * timeout), not the row's: the run should stop and the row keep its attempts.
 */
export function isGenerationSourceUnavailable(error: unknown): boolean {
  if (error instanceof GenerationFetchTimeoutError) return true;
  // A thrown error, or the error one level down (undici wraps the system error in `cause`).
  for (const candidate of [error, field(error, 'cause')]) {
    const status = field(candidate, 'status');
    if (typeof status === 'number' && isSourceStatus(status)) return true;
    const category = field(candidate, 'category');
    if (category === 'connection' || category === 'timeout') return true;
    const code = field(candidate, 'code');
    if (typeof code === 'string' && CONNECTION_CODE.test(code)) return true;
  }
  return false;
}
