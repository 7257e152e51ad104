import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Clock } from '../shared/clock.ts';
import { AbortError, ConnectionError, TimeoutError } from './client-errors.ts';
import { isOpenRouterError } from './error-guards.ts';
import { linkedAbort } from './linked-abort.ts';
import { redactSecrets } from './redact.ts';
import { startTimer } from './timers.ts';
import { dispatchRequest, Pool } from './undici-parts.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined;

export interface TransportRequest {
  method: HttpMethod;
  /** Path below the base URL (`/chat/completions`); may carry its own query string. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** Extra headers. `authorization` is always replaced by the configured key; hop-by-hop ones are dropped. */
  headers?: Record<string, string | undefined> | undefined;
  body?: string | Uint8Array | Readable | null | undefined;
  signal?: AbortSignal | undefined;
  /** Deadline for the response headers (the body is the caller's to bound). */
  timeoutMs?: number | undefined;
}

export interface TransportResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** undici's body stream: async-iterable bytes, plus text()/json(); destroy it to drop the connection. */
  body: Dispatcher.ResponseData['body'];
}

/**
 * The low-level OpenRouter connection: one keep-alive undici Pool per origin, the API key injected
 * on every request, bytes in and out untouched. The client's retries, parsing and streams sit on
 * top; the gateway reuses it to forward requests and pipe response bodies through as they come.
 */
export interface OpenRouterTransport {
  /** e.g. `https://openrouter.ai/api/v1` (no trailing slash). */
  readonly baseUrl: string;
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the pools this transport created (an injected dispatcher is left to its owner). */
  close(): Promise<void>;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  clock: Clock;
  /** Used instead of the transport's own pools (tests pass a MockAgent; apps may share an Agent). */
  dispatcher?: Dispatcher | undefined;
  /** Sent on every request (HTTP-Referer, X-OpenRouter-Title, ...); per-request headers win. */
  headers?: Record<string, string> | undefined;
  /** Connections per origin. @default 128 */
  /** null: no limit. @default 128 */
  connections?: number | null | undefined;
  /** Idle keep-alive time before a pooled socket is closed. @default 60_000 */
  keepAliveTimeoutMs?: number | undefined;
}

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
]);

export const USER_AGENT = 'tollgate/0.1 (+undici)';

export function createOpenRouterTransport(options: TransportOptions): OpenRouterTransport {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const secrets = options.apiKey ? [options.apiKey] : [];
  const pools = new Map<string, Pool>();
  const { authorization: _ignored, ...defaultHeaders } = lowerCaseKeys(options.headers ?? {});

  function dispatcherFor(origin: string): Dispatcher {
    if (options.dispatcher) return options.dispatcher;
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections === undefined ? 128 : options.connections,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
        // Deadlines come from the injected clock; undici's own 300 s defaults stay as a backstop.
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  /** Where each query-less path goes: the same few paths carry almost every call. */
  const targets = new Map<string, { origin: string; path: string }>();
  function targetOf(path: string, query: TransportRequest['query']): { origin: string; path: string } {
    const plain = query === undefined || Object.keys(query).length === 0;
    const known = plain ? targets.get(path) : undefined;
    if (known) return known;
    const url = buildUrl(base, baseUrl, path, query);
    const target = { origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname };
    // Bounded: a passthrough may forward any path a caller names.
    if (plain && targets.size < MAX_CACHED_TARGETS) targets.set(path, target);
    return target;
  }

  async function send(req: TransportRequest): Promise<TransportResponse> {
    const target = targetOf(req.path, req.query);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...defaultHeaders };
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      const lower = name.toLowerCase();
      if (value === undefined || HOP_BY_HOP.has(lower) || lower === 'authorization') continue;
      headers[lower] = value;
    }
    // Only the configured key is ever sent; a forwarded request's own credentials never are.
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

    // A deadline of its own only when asked for (the client's calls bring theirs in `signal`).
    const deadline = req.timeoutMs === undefined ? undefined : linkedAbort([req.signal]);
    const signal = deadline?.signal ?? req.signal;
    const timer =
      deadline && req.timeoutMs !== undefined
        ? startTimer(options.clock, req.timeoutMs, () =>
            deadline.controller.abort(new TimeoutError('attempt', req.timeoutMs ?? 0)),
          )
        : undefined;
    try {
      const response = await dispatchRequest(dispatcherFor(target.origin), {
        origin: target.origin,
        path: target.path,
        method: req.method,
        headers,
        body: req.body ?? null,
        signal,
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw transportError(error, signal, secrets);
    } finally {
      timer?.cancel();
      deadline?.unlink();
    }
  }

  return {
    baseUrl,
    send,
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

const MAX_CACHED_TARGETS = 256;

function buildUrl(
  base: URL,
  baseUrl: string,
  path: string,
  query: Record<string, QueryValue> | undefined,
): URL {
  const url = new URL(`${baseUrl}${path.startsWith('/') ? path : `/${path}`}`);
  if (url.origin !== base.origin) throw new TypeError('Request path must stay on the configured origin');
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  return url;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * Maps anything thrown while sending to the client's error tree. The key must never leak, so the
 * original error is not attached: only its code and a redacted message survive.
 */
export function transportError(
  error: unknown,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
): Error {
  if (isOpenRouterError(error)) return error;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return isOpenRouterError(reason) ? reason : new AbortError();
  }
  const code = errorCode(error);
  const raw = error instanceof Error ? error.message : String(error);
  const message = redactSecrets(raw, secrets).slice(0, 300);
  return new ConnectionError(`Connection to OpenRouter failed${code ? ` (${code})` : ''}: ${message}`, {
    causeCode: code,
  });
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}
