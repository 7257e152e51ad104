import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { REPORT_DIMENSIONS, REQUEST_STATUSES, type ReportFilters } from '../../ledger/index.ts';
import { moneyFromUsd } from '../../shared/money.ts';
import { toCsv, toPlainJson } from '../../shared/plain-json.ts';
import { credentialsOf, requireAdmin } from '../auth.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { GatewayError } from '../gateway-error.ts';
import { DRIFT_COLUMNS, REQUEST_COLUMNS, spendColumns } from '../report-columns.ts';
import { parseJsonObject } from '../request-body.ts';

const usd = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/)]).transform(String);
const window = z.enum(['day', 'week', 'month', 'total']);

const createKeyBody = z.strictObject({
  name: z.string().min(1).max(100),
  defaultModule: z.string().min(1).max(128).nullish(),
  defaultUser: z.string().min(1).max(128).nullish(),
  rpmLimit: z.number().int().positive().nullish(),
  allowedModels: z.array(z.string().min(1)).min(1).nullish(),
  budget: z.strictObject({ window, limitUsd: usd }).nullish(),
});

const budgetBody = z.strictObject({
  scope: z.enum(['global', 'module', 'user', 'key']),
  scopeValue: z.string().min(1).max(128).nullish(),
  window,
  limitUsd: usd,
});

const list = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .refine((values) => values.length > 0, 'give at least one value (comma-separated)');
const TIME_FORMS =
  'give epoch milliseconds (1767225600000), an ISO date-time with its zone (2026-01-01T00:00:00Z) or a date (2026-01-01)';
const time = z.union(
  [
    z.string().regex(/^\d+$/).transform(Number),
    z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
    z.iso.date().transform((day) => Date.parse(`${day}T00:00:00Z`)),
  ],
  { error: TIME_FORMS },
);

const reportQuery = z.strictObject({
  groupBy: list.pipe(z.array(z.enum(REPORT_DIMENSIONS))).optional(),
  since: time.optional(),
  until: time.optional(),
  module: list.optional(),
  user: list.optional(),
  model: list.optional(),
  provider: list.optional(),
  key: list.optional(),
  status: list.pipe(z.array(z.enum(REQUEST_STATUSES))).optional(),
  limit: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(1000)).optional(),
  format: z.enum(['json', 'csv']).optional(),
});

const holdsQuery = z.strictObject({ before: time.optional() });

const releaseHoldsBody = z
  .strictObject({
    requestIds: z.array(z.string().min(1).max(128)).min(1).max(10_000).optional(),
    before: z.union([z.number().int().nonnegative(), time], { error: TIME_FORMS }).optional(),
    all: z.boolean().optional(),
    includeReconcilable: z.boolean().optional(),
  })
  .refine(
    (body) => (body.all === true) !== (body.requestIds !== undefined || body.before !== undefined),
    'say which holds to release: "requestIds" and/or "before", or "all": true (not both)',
  );

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  // Bodies arrive as bytes (the gateway parses JSON itself, once, with clear errors).
  const input = Buffer.isBuffer(value) ? parseJsonObject(value) : value;
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  // The first few: 10,000 bad ids need not make a megabyte of error.
  const issues = result.error.issues;
  const problems = issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || what}: ${issue.message}`)
    .join('; ')
    .concat(issues.length > 5 ? ` (and ${issues.length - 5} more)` : '');
  throw new GatewayError('invalid_request', `Invalid ${what}: ${problems}.`);
}

function filtersOf(query: z.output<typeof reportQuery>): ReportFilters {
  const filters: ReportFilters = {};
  if (query.module) filters.module = query.module;
  if (query.user) filters.user = query.user;
  if (query.model) filters.model = query.model;
  if (query.provider) filters.provider = query.provider;
  if (query.key) filters.key = query.key;
  if (query.status) filters.status = query.status;
  return filters;
}

function sendRows(
  reply: FastifyReply,
  rows: readonly unknown[],
  format: 'json' | 'csv' | undefined,
  report: { name: string; columns: readonly string[] },
) {
  const plain = rows.map((row) => toPlainJson(row) as Record<string, unknown>);
  if (format === 'csv') {
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${report.name}.csv"`)
      .send(toCsv(plain.map(flattenGroup), report.columns));
  }
  return reply.send({ data: plain });
}

/** Report rows carry their group as an object; CSV wants its dimensions as columns. */
function flattenGroup(row: Record<string, unknown>): Record<string, unknown> {
  const { group, ...rest } = row;
  return typeof group === 'object' && group !== null
    ? { ...(group as Record<string, unknown>), ...rest }
    : row;
}

/** The admin API (admin key): gateway keys, budgets, reports and recent requests. */
export function registerAdminRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const admin = async (request: FastifyRequest) => {
    const principal = await ctx.auth.authenticate(credentialsOf(request.headers));
    requireAdmin(principal, await ctx.auth.isOpen());
  };

  app.post('/admin/keys', { preHandler: admin }, async (request, reply) => {
    const input = parse(createKeyBody, request.body, 'key');
    const { key, secret } = await ctx.ledger.keys.create({
      name: input.name,
      defaultModule: input.defaultModule ?? null,
      defaultUser: input.defaultUser ?? null,
      rpmLimit: input.rpmLimit ?? null,
      allowedModels: input.allowedModels ?? null,
      budget: input.budget
        ? { window: input.budget.window, limit: moneyFromUsd(input.budget.limitUsd) }
        : null,
    });
    ctx.auth.keysChanged();
    return reply
      .code(201)
      .send({ data: toPlainJson(key), secret, note: 'The secret is shown once: store it now.' });
  });
  app.get('/admin/keys', { preHandler: admin }, async (_request, reply) => {
    return reply.send({ data: toPlainJson(await ctx.ledger.keys.list({ includeRevoked: true })) });
  });
  app.delete<{ Params: { id: string } }>('/admin/keys/:id', { preHandler: admin }, async (request, reply) => {
    const revoked = await ctx.ledger.keys.revoke(request.params.id);
    if (!revoked)
      throw new GatewayError(
        'not_found',
        `No gateway key with id ${request.params.id}. GET /admin/keys lists them.`,
      );
    ctx.auth.keysChanged();
    // A repeated DELETE is answered the same way (idempotent), saying when the key was revoked.
    return reply.send({
      revoked: true,
      already_revoked: revoked.alreadyRevoked,
      revoked_at: new Date(revoked.key.revokedAt ?? Date.now()).toISOString(),
    });
  });

  app.put('/admin/budgets', { preHandler: admin }, async (request, reply) => {
    const input = parse(budgetBody, request.body, 'budget');
    if (input.scope !== 'global' && !input.scopeValue) {
      throw new GatewayError(
        'invalid_request',
        `A ${input.scope} budget needs "scopeValue" (which ${input.scope}).`,
      );
    }
    const budget = await ctx.ledger.budgets.set({
      scope: input.scope,
      scopeValue: input.scopeValue ?? null,
      window: input.window,
      limit: moneyFromUsd(input.limitUsd),
    });
    return reply.send({ data: toPlainJson(budget) });
  });
  app.get('/admin/budgets', { preHandler: admin }, async (_request, reply) => {
    const budgets = await ctx.ledger.budgets.list();
    const withStatus = await Promise.all(
      budgets.map(async (budget) => {
        const checks = await ctx.ledger.budgets.status({
          module: budget.scope === 'module' ? budget.scopeValue : null,
          userId: budget.scope === 'user' ? budget.scopeValue : null,
          keyId: budget.scope === 'key' ? budget.scopeValue : null,
        });
        const check = checks.find((item) => item.budget.id === budget.id);
        return {
          ...budget,
          spent: check?.spent ?? 0n,
          reserved: check?.reserved ?? 0n,
          remaining: check?.remaining ?? budget.limit,
        };
      }),
    );
    return reply.send({ data: toPlainJson(withStatus) });
  });
  app.delete<{ Params: { id: string } }>(
    '/admin/budgets/:id',
    { preHandler: admin },
    async (request, reply) => {
      if (!(await ctx.ledger.budgets.remove(request.params.id))) {
        throw new GatewayError('not_found', `No budget with id ${request.params.id}.`);
      }
      return reply.send({ removed: true });
    },
  );

  // Reservations held at their worst case for calls of unknown cost, and their release.
  app.get('/admin/budgets/holds', { preHandler: admin }, async (request, reply) => {
    const query = parse(holdsQuery, request.query, 'query');
    const holds = await ctx.ledger.budgets.holds({ before: query.before });
    return reply.send({ data: toPlainJson(holds) });
  });
  app.post('/admin/budgets/holds/release', { preHandler: admin }, async (request, reply) => {
    const body = parse(releaseHoldsBody, request.body, 'release');
    const result = await ctx.ledger.budgets.releaseHolds(body);
    return reply.send(toPlainJson(result));
  });

  app.get('/admin/reports/spend', { preHandler: admin }, async (request, reply) => {
    const query = parse(reportQuery, request.query, 'query');
    const report = await ctx.ledger.reports.spend({
      groupBy: query.groupBy ?? [],
      filters: filtersOf(query),
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
    });
    return sendRows(reply, report.rows, query.format, {
      name: 'spend',
      columns: spendColumns(query.groupBy ?? []),
    });
  });
  app.get('/admin/reports/drift', { preHandler: admin }, async (request, reply) => {
    const query = parse(reportQuery, request.query, 'query');
    const rows = await ctx.ledger.reports.driftByModel({
      filters: filtersOf(query),
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
    });
    return sendRows(reply, rows, query.format, { name: 'drift', columns: DRIFT_COLUMNS });
  });
  app.get('/admin/requests', { preHandler: admin }, async (request, reply) => {
    const query = parse(reportQuery, request.query, 'query');
    const rows = await ctx.ledger.reports.recent({
      filters: filtersOf(query),
      limit: query.limit ?? 50,
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
    });
    return sendRows(reply, rows, query.format, { name: 'requests', columns: REQUEST_COLUMNS });
  });
}
