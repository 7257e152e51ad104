import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLogEntry, SimulatorCore } from './core.ts';
import { anthropicReply, type ErrorReply } from './errors.ts';

/** One request as handlers see it. */
export interface RequestContext {
  core: SimulatorCore;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path below /api/v1, e.g. '/chat/completions'. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body of POST/PATCH requests (undefined for others). */
  body: unknown;
  startedAtMs: number;
  log: RequestLogEntry;
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  readonly code = 'body_too_large';
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(
        chunks.length === 1
          ? (chunks[0] ?? Buffer.alloc(0)).toString('utf8')
          : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    req.on('error', reject);
  });
}

export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  sendText(ctx, status, JSON.stringify(body), 'application/json', headers);
}

export function sendText(
  ctx: RequestContext,
  status: number,
  text: string,
  contentType: string,
  headers?: Record<string, string>,
): void {
  ctx.log.status = status;
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name] ?? '');
  res.end(text);
}

/** Routes whose errors use Anthropic's envelope (same status and headers as OpenRouter's). */
const ANTHROPIC_ERROR_PATHS = new Set(['/messages']);

export function sendError(ctx: RequestContext, reply: ErrorReply): void {
  if (ANTHROPIC_ERROR_PATHS.has(ctx.path)) {
    const shaped = anthropicReply(reply, anthropicRequestId(ctx));
    sendJson(ctx, shaped.status, shaped.body, shaped.headers);
  } else {
    sendJson(ctx, reply.status, reply.body, reply.headers);
  }
}

/** `req_…`, the request id Anthropic-style error bodies carry. */
export function anthropicRequestId(ctx: RequestContext): string {
  return `req_${ctx.core.ids.alnum(24)}`;
}

/** Resolves after `ms` on the simulator's clock; false if the request or simulator ended first. */
export async function pause(ctx: RequestContext, ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await ctx.core.clock.sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** An AbortSignal that fires when the client goes away or the simulator closes. */
export function requestSignal(ctx: RequestContext): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  ctx.res.once('close', abort);
  const shutdown = ctx.core.shutdown.signal;
  if (shutdown.aborted) controller.abort();
  else shutdown.addEventListener('abort', abort, { once: true });
  ctx.res.once('close', () => shutdown.removeEventListener('abort', abort));
  return controller.signal;
}
