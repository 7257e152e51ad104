import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMethod } from '../../client/index.ts';
import { credentialsOf } from '../auth.ts';
import { forwardedRequestHeaders } from '../forward-headers.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { checkPassthrough, PASSTHROUGH_PREFIX, passthroughPath } from '../passthrough-path.ts';

/** Response headers passed back from a passed-through route. */
const RETURNED = [
  'content-type',
  'x-generation-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/**
 * Every other route under /api/v1 goes to OpenRouter unchanged but for the key (tollgate's own
 * replaces the caller's), so the whole API works through tollgate.
 */
export function registerPassthroughRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.all(`${PASSTHROUGH_PREFIX}/*`, (request, reply) => passThrough(ctx, request, reply));
}

/** Forwards one request to OpenRouter and its answer back (also used by routes that only sometimes pass through). */
export async function passThrough(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const principal = await ctx.auth.authenticate(credentialsOf(request.headers));
  const queryAt = request.url.indexOf('?');
  const path = passthroughPath(queryAt === -1 ? request.url : request.url.slice(0, queryAt));
  checkPassthrough(path, request.method, principal, await ctx.auth.isOpen());
  const query: Record<string, string> = {};
  if (queryAt !== -1)
    for (const [name, value] of new URLSearchParams(request.url.slice(queryAt + 1))) query[name] = value;
  const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
  const startedAt = ctx.clock.now();
  const opened = await ctx.client.forward.open({
    method: request.method as HttpMethod,
    path: path.raw,
    query,
    headers: forwardedRequestHeaders(request.headers),
    body,
  });
  try {
    for (const name of RETURNED) {
      const value = opened.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body) chunks.push(chunk as Buffer);
    const answer = Buffer.concat(chunks);
    // Unmetered, so the log is its only record (an error status threw above: the app's error
    // handler logs it whole).
    if (ctx.logger.isLevelEnabled('debug')) {
      ctx.logger.debug(
        {
          method: request.method,
          path: path.raw,
          status: opened.status,
          keyId: principal.kind === 'key' ? principal.key.id : undefined,
          latencyMs: ctx.clock.now() - startedAt,
        },
        'passed-through call',
      );
    }
    return reply.code(opened.status).send(answer);
  } finally {
    opened.release();
  }
}
