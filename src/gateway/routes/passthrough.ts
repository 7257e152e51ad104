import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMethod } from '../../client/index.ts';
import { requireAdmin } from '../auth.ts';
import { forwardedRequestHeaders } from '../forward-headers.ts';
import type { GatewayContext } from '../gateway-context.ts';

/** Account management: the admin key only, never a gateway key (they spend the operator's money). */
const ADMIN_ONLY = [/^\/keys(\/|$)/, /^\/credits(\/|$)/, /^\/activity(\/|$)/, /^\/auth\/keys(\/|$)/];

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
  app.all('/api/v1/*', (request, reply) => passThrough(ctx, request, reply));
}

/** Forwards one request to OpenRouter and its answer back (also used by routes that only sometimes pass through). */
export async function passThrough(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  {
    const principal = await ctx.auth.authenticate(request.headers.authorization);
    const url = new URL(request.url, 'http://gateway');
    const path = url.pathname.slice('/api/v1'.length) || '/';
    if (ADMIN_ONLY.some((pattern) => pattern.test(path))) requireAdmin(principal, await ctx.auth.isOpen());
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
    const opened = await ctx.client.forward.open({
      method: request.method as HttpMethod,
      path,
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
      return reply.code(opened.status).send(Buffer.concat(chunks));
    } finally {
      opened.release();
    }
  }
}
