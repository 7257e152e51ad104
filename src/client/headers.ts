import type { IncomingHttpHeaders } from 'node:http';

/** Response headers with lower-cased names; repeated headers joined with ", ". */
export type ResponseHeaders = Readonly<Record<string, string>>;

export function normalizeHeaders(headers: IncomingHttpHeaders | Record<string, unknown>): ResponseHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Headers worth keeping on an error: retry timing, rate limits and ids; never the whole set. */
const ERROR_HEADER_NAMES = [
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-generation-id',
  'x-request-id',
  'x-provider-name',
  'cf-ray',
  'content-type',
];

export function errorHeaderSubset(headers: ResponseHeaders): ResponseHeaders {
  const out: Record<string, string> = {};
  for (const name of ERROR_HEADER_NAMES) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function headerNumber(headers: ResponseHeaders, name: string): number | undefined {
  const raw = headers[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
