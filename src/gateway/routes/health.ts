import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../gateway-context.ts';

/** Liveness, readiness (ledger and upstream reachable) and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/healthz', async (_request, reply) => reply.send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const ledger = ctx.ledger.health();
    const catalogue = ctx.catalog.status();
    const upstream = catalogue.models > 0 && catalogue.lastError === undefined;
    const ledgerReady = !ledger.closed && ledger.ready;
    const ready = ledgerReady && upstream;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      ledger: {
        ready: ledgerReady,
        dialect: ledger.dialect,
        spooling: ledger.spooling,
        queueDepth: ctx.ledger.queueDepth(),
      },
      upstream: { ready: upstream, models: catalogue.models },
    });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(text);
  });
}
