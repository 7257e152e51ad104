import type { IncomingMessage, ServerResponse } from 'node:http';
import { uuidv7 } from '../shared/ids.ts';
import { messagesDialect } from './dialects/messages-dialect.ts';
import { responsesDialect } from './dialects/responses-dialect.ts';
import type { GatewayContext } from './gateway-context.ts';
import { GatewayError, toGatewayError } from './gateway-error.ts';
import {
  validateChatBody,
  validateCompletionBody,
  validateEmbeddingsBody,
  validateMessagesBody,
  validateResponsesBody,
} from './request-body.ts';
import { sendGatewayError } from './respond.ts';
import { type IncomingCall, type InferenceRoute, proxyInference } from './routes/inference.ts';

/** The metered inference routes, by path below /v1 and /api/v1. */
export const INFERENCE_ROUTES: Readonly<Record<string, InferenceRoute>> = {
  '/chat/completions': {
    name: 'chat',
    upstreamPath: '/chat/completions',
    streamable: true,
    validate: validateChatBody,
  },
  '/completions': {
    name: 'completions',
    upstreamPath: '/completions',
    streamable: true,
    validate: validateCompletionBody,
  },
  '/embeddings': {
    name: 'embeddings',
    upstreamPath: '/embeddings',
    streamable: false,
    validate: validateEmbeddingsBody,
  },
  '/responses': {
    name: 'responses',
    upstreamPath: '/responses',
    streamable: true,
    validate: validateResponsesBody,
    dialect: responsesDialect,
  },
  '/messages': {
    name: 'messages',
    upstreamPath: '/messages',
    streamable: true,
    validate: validateMessagesBody,
    dialect: messagesDialect,
  },
};

/** Node drops headers past its count limit silently; refuse instead, saying why. */
export function checkHeaderCount(rawHeaders: readonly string[], maxHeaders: number): void {
  if (rawHeaders.length / 2 > maxHeaders) {
    throw new GatewayError('too_many_headers', `A request may carry at most ${maxHeaders} headers.`);
  }
}

export const bodyTooLarge = (limitBytes: number) =>
  new GatewayError(
    'payload_too_large',
    `The request body is larger than this gateway accepts (${byteSize(limitBytes)}). Send less (images and PDFs by URL rather than inline), or raise gateway.bodyLimitBytes.`,
  );

function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export const bodyLengthWrong = () =>
  new GatewayError('invalid_request', 'The request body is empty or its length is wrong.');

/**
 * Runs the hot path for one call, whichever way it came in (the door or the framework). A throw
 * from it is a bug, not a refusal: logged whole; the caller gets a safe 500 (or a closed stream).
 */
export async function serveInference(
  ctx: GatewayContext,
  route: InferenceRoute,
  incoming: IncomingCall,
  res: ServerResponse,
  requestId: () => string,
): Promise<void> {
  try {
    await proxyInference(ctx, route, incoming, res);
  } catch (error) {
    const id = requestId();
    ctx.logger.error({ requestId: id, route: route.name, error: String(error) }, 'inference handler failed');
    if (res.headersSent) res.destroy();
    else sendGatewayError(res, toGatewayError(error), id);
  }
}

export interface InferenceDoorOptions {
  bodyLimitBytes: number;
  maxHeaders: number;
  /** With CORS configured, browser requests (those with an Origin) go through the framework. */
  corsConfigured: boolean;
}

/**
 * The gateway's front door for inference calls, in front of the web framework. Every metered call
 * comes through here, so it is kept to what such a call needs: match the path, check the header
 * count, read the body within its limit, and hand over to the hot path. The framework's routing,
 * hooks, request and reply objects cost a tenth of a proxied call's CPU, for nothing a proxied
 * call uses. Anything else (admin, catalogue, health, passthrough, browser requests when CORS is
 * configured, requests while shutting down) goes to the framework, which has the same routes
 * registered and so answers the same way.
 */
export class InferenceDoor {
  readonly #ctx: GatewayContext;
  readonly #options: InferenceDoorOptions;
  readonly #routes = new Map<string, InferenceRoute>();
  #closing = false;

  constructor(ctx: GatewayContext, options: InferenceDoorOptions) {
    this.#ctx = ctx;
    this.#options = options;
    for (const [path, route] of Object.entries(INFERENCE_ROUTES)) {
      for (const prefix of ['/v1', '/api/v1']) this.#routes.set(`${prefix}${path}`, route);
    }
  }

  /** From now on new calls go to the framework, which refuses them with 503 while closing. */
  close(): void {
    this.#closing = true;
  }

  /** Takes the request when it is an inference call; false leaves it to the framework. */
  tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.#closing) return false;
    if (this.#options.corsConfigured && req.headers.origin !== undefined) return false;
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const route = this.#routes.get(queryAt === -1 ? url : url.slice(0, queryAt));
    if (!route) return false;
    void this.#serve(route, req, res);
    return true;
  }

  async #serve(route: InferenceRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      checkHeaderCount(req.rawHeaders, this.#options.maxHeaders);
      body = await readBody(req, this.#options.bodyLimitBytes);
    } catch (error) {
      const refusal = toGatewayError(error);
      this.#ctx.metrics.recordError('http', refusal.code);
      sendGatewayError(res, refusal, uuidv7());
      return;
    }
    await serveInference(
      this.#ctx,
      route,
      { headers: req.headers, rawHeaders: req.rawHeaders, body },
      res,
      () => uuidv7(),
    );
  }
}

/**
 * The whole request body, refused with 413 past `limit` (by its Content-Length before reading,
 * or as it arrives) and with 400 when it breaks off or disagrees with its Content-Length.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        stop();
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      if (!Number.isNaN(declared) && received !== declared) {
        reject(bodyLengthWrong());
        return;
      }
      // A copy, never a view into the socket's read buffer, which the body would keep alive.
      resolve(Buffer.concat(chunks, received));
    };
    const onError = () => {
      stop();
      reject(new GatewayError('invalid_request', 'The request body broke off before its end.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
