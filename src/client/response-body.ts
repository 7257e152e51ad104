import { ConnectionError, InvalidResponseError } from './client-errors.ts';
import type { ResponseHeaders } from './headers.ts';
import { bodyExcerpt } from './redact.ts';
import { transportError } from './transport.ts';

/**
 * Reads a whole body. A 2xx body cut off by the connection is a non-retryable ConnectionError
 * (the request was completed and billed upstream); error bodies fail like any connection error.
 */
export async function readBody(
  body: { text(): Promise<string> },
  status: number,
  headers: ResponseHeaders,
  signal: AbortSignal,
  secrets: readonly string[],
): Promise<string> {
  try {
    return await body.text();
  } catch (error) {
    if (status >= 400 || signal.aborted) throw error;
    const mapped = transportError(error, undefined, secrets) as ConnectionError;
    throw new ConnectionError(`Response body cut off after HTTP ${status}: ${mapped.message}`, {
      causeCode: mapped.causeCode,
      responseStatus: status,
      generationId: headers['x-generation-id'],
    });
  }
}

export function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON.parse already skips the leading whitespace OpenRouter sends as keep-alive (§4). */
export function parseJson(text: string, status: number, secrets: readonly string[]): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidResponseError(`Response body is not valid JSON (HTTP ${status})`, {
      status,
      reason: 'json',
      excerpt: bodyExcerpt(text, secrets),
    });
  }
}

/** §6.5(2): a 200 whose body is only `{error}`. */
export function isErrorOnlyBody(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const record = json as Record<string, unknown>;
  return (
    typeof record.error === 'object' && record.error !== null && !('choices' in record) && !('data' in record)
  );
}
