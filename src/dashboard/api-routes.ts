import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { Ledger } from '../ledger/index.ts';
import { budgetBars, driftReport, recentRequests, requestDetail } from './ledger-views.ts';
import { defaultBucket, type Period, PeriodError, resolvePeriod } from './period.ts';
import {
  noQuery,
  parseQuery,
  periodQuery,
  QueryError,
  requestIdParams,
  requestsQuery,
  seriesQuery,
  topQuery,
} from './query-schemas.ts';
import { spendOverTime } from './spend-series.ts';
import { dimensionValues, summarize, topBySpend } from './summary.ts';

export interface DashboardApiOptions {
  ledger: Ledger;
  authorize(request: FastifyRequest): Promise<void>;
  now: () => number;
}

function errorReply(reply: FastifyReply, request: FastifyRequest, status: 400 | 404, message: string) {
  return reply.code(status).send({
    error: {
      message,
      type: 'invalid_request_error',
      code: status === 400 ? 'invalid_request' : 'not_found',
      param: null,
      request_id: request.id,
    },
  });
}

/**
 * The JSON the page reads, under /dashboard/api. Every route checks the admin key first, then its
 * query (zod, unknown parameters refused), and answers 400 with every problem named.
 */
export function registerDashboardApi(app: FastifyInstance, options: DashboardApiOptions): void {
  const { ledger, now } = options;
  const guard = {
    preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
      // Data, not page: never cached by a browser or a proxy, even after a successful check.
      reply.header('cache-control', 'no-store');
      await options.authorize(request);
    },
  };

  /** Parses the query, resolves the period, runs the view; bad input becomes a clear 400. */
  function route<Q extends { range?: unknown; since?: number; until?: number }, R>(
    path: string,
    schema: ZodType<Q>,
    view: (query: Q, period: Period, at: number) => Promise<R>,
  ) {
    app.get(path, guard, async (request, reply) => {
      let query: Q;
      let period: Period;
      const at = now();
      try {
        query = parseQuery(schema, request.query, 'query');
        period = resolvePeriod(query as Parameters<typeof resolvePeriod>[0], at);
      } catch (error) {
        if (error instanceof QueryError || error instanceof PeriodError) {
          return errorReply(reply, request, 400, error.message);
        }
        throw error;
      }
      try {
        return reply.send(await view(query, period, at));
      } catch (error) {
        if (error instanceof PeriodError) return errorReply(reply, request, 400, error.message);
        throw error;
      }
    });
  }

  route('/dashboard/api/summary', periodQuery, (_query, period) => summarize(ledger, period));
  route('/dashboard/api/spend-over-time', seriesQuery, (query, period, at) =>
    spendOverTime(ledger, {
      period,
      groupBy: query.groupBy,
      bucket: query.bucket ?? defaultBucket(period, at),
      now: at,
    }),
  );
  route('/dashboard/api/top', topQuery, (query, period) =>
    topBySpend(ledger, { period, by: query.by, limit: query.limit }),
  );
  route('/dashboard/api/dimensions', periodQuery, async (_query, period) => ({
    period,
    values: await dimensionValues(ledger, period),
  }));
  route('/dashboard/api/drift', periodQuery, (_query, period) => driftReport(ledger, period));
  route('/dashboard/api/requests', requestsQuery, (query, period) =>
    recentRequests(ledger, {
      period,
      limit: query.limit,
      filters: {
        module: query.module,
        user: query.user,
        model: query.model,
        provider: query.provider,
        status: query.status,
      },
    }),
  );

  app.get('/dashboard/api/budgets', guard, async (request, reply) => {
    try {
      parseQuery(noQuery, request.query, 'query');
    } catch (error) {
      if (error instanceof QueryError) return errorReply(reply, request, 400, error.message);
      throw error;
    }
    return reply.send(await budgetBars(ledger));
  });

  app.get('/dashboard/api/requests/:id', guard, async (request, reply) => {
    let id: string;
    try {
      id = parseQuery(requestIdParams, request.params, 'request id').id;
      parseQuery(noQuery, request.query, 'query');
    } catch (error) {
      if (error instanceof QueryError) return errorReply(reply, request, 400, error.message);
      throw error;
    }
    const detail = await requestDetail(ledger, id);
    if (!detail) return errorReply(reply, request, 404, `No request ${id} in the ledger.`);
    return reply.send(detail);
  });
}
