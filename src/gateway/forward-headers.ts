import type { IncomingHttpHeaders } from 'node:http';

/** Request headers never passed upstream: ours, the caller's credentials, framing, compression. */
const NOT_FORWARDED = new Set([
  'host',
  'authorization',
  // Anthropic's SDK sends its key here: on the Messages route that is the caller's tollgate key.
  'x-api-key',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'cookie',
  'proxy-authorization',
  'proxy-connection',
  // The relay parses a copy of the response: it must arrive uncompressed.
  'accept-encoding',
]);

/** The caller's headers for OpenRouter: all of them (HTTP-Referer, X-Title, x-session-id…) but the above. */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || name.startsWith('x-tollgate-')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Response headers a caller needs from OpenRouter's answer. */
const RETURNED = [
  'x-generation-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

export function returnedResponseHeaders(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RETURNED) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
