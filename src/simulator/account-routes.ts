import { authenticate, isErrorReply } from './auth.ts';
import { usdToNumber } from './decimal.ts';
import { invalidRequest, notFound, withUser } from './errors.ts';
import { renderGeneration } from './generation-view.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { renderCurrentKey } from './key-views.ts';
import { utcDate } from './periods.ts';

/** GET /credits, /key (and /auth/key), /activity, /generation. */

export function handleCredits(ctx: RequestContext) {
  const key = authenticate(ctx, 'management');
  if (isErrorReply(key)) return sendError(ctx, key);
  sendJson(ctx, 200, {
    data: {
      total_credits: usdToNumber(key.account.totalCredits),
      total_usage: usdToNumber(key.account.totalUsage),
    },
  });
}

export function handleCurrentKey(ctx: RequestContext) {
  const key = authenticate(ctx, 'any');
  if (isErrorReply(key)) return sendError(ctx, key);
  sendJson(ctx, 200, { data: renderCurrentKey(ctx.core.accounts, key, ctx.core.clock.now()) });
}

export function handleActivity(ctx: RequestContext) {
  const key = authenticate(ctx, 'management');
  if (isErrorReply(key)) return sendError(ctx, key);
  const now = ctx.core.clock.now();
  const date = ctx.query.get('date') ?? undefined;
  if (date !== undefined) {
    const oldest = utcDate(now - 29 * 86_400_000);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date < oldest || date > utcDate(now)) {
      return sendError(
        ctx,
        withUser(
          invalidRequest('"date" must be YYYY-MM-DD within the last 30 UTC days.'),
          key.account.userId,
        ),
      );
    }
  }
  const keyHash = ctx.query.get('api_key_hash') ?? undefined;
  sendJson(ctx, 200, {
    data: ctx.core.generations.activity({
      userId: key.account.userId,
      nowMs: now,
      ...(date === undefined ? {} : { date }),
      ...(keyHash === undefined ? {} : { keyHash }),
    }),
  });
}

export function handleGeneration(ctx: RequestContext) {
  const key = authenticate(ctx, 'any');
  if (isErrorReply(key)) return sendError(ctx, key);
  const id = ctx.query.get('id');
  if (id === null || id === '')
    return sendError(ctx, withUser(invalidRequest('"id" query parameter is required.'), key.account.userId));
  const record = ctx.core.generations.get(id);
  // Unknown, someone else's, or not yet written (the lag): all look the same, as on OpenRouter.
  if (
    record === undefined ||
    record.userId !== key.account.userId ||
    ctx.core.clock.now() < record.readyAtMs
  ) {
    return sendError(ctx, withUser(notFound(`Generation ${id} not found`), key.account.userId));
  }
  sendJson(ctx, 200, { data: renderGeneration(record) });
}
