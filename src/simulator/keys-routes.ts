import type { KeyRecord, LimitReset } from './accounts.ts';
import { authenticate, isErrorReply } from './auth.ts';
import { parseUsd } from './decimal.ts';
import { type ErrorReply, invalidRequest, notFound, withUser } from './errors.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { booleanField, isObject, type JsonObject, stringField } from './json-util.ts';
import { renderKey } from './key-views.ts';

/** Key management (§10): GET/POST /keys, GET/PATCH/DELETE /keys/{hash}. */

const PAGE = 100;

function manager(ctx: RequestContext): KeyRecord | undefined {
  const key = authenticate(ctx, 'management');
  if (!isErrorReply(key)) return key;
  sendError(ctx, key);
  return undefined;
}

export function handleListKeys(ctx: RequestContext) {
  const caller = manager(ctx);
  if (caller === undefined) return;
  const offset = Number(ctx.query.get('offset') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) {
    return sendError(
      ctx,
      withUser(invalidRequest('"offset" must be an integer ≥ 0.'), caller.account.userId),
    );
  }
  const includeDisabled = ctx.query.get('include_disabled') === 'true';
  const now = ctx.core.clock.now();
  const keys = [...caller.account.keys.values()]
    .filter((k) => k.kind === 'inference' && (includeDisabled || !k.disabled))
    .reverse()
    .slice(offset, offset + PAGE);
  sendJson(ctx, 200, { data: keys.map((k) => renderKey(ctx.core.accounts, k, now)) });
}

export function handleCreateKey(ctx: RequestContext) {
  const caller = manager(ctx);
  if (caller === undefined) return;
  const fail = (message: string) => sendError(ctx, withUser(invalidRequest(message), caller.account.userId));
  const body = ctx.body;
  if (!isObject(body)) return fail('Request body must be a JSON object.');
  const name = stringField(body, 'name');
  if (name === undefined || name.trim() === '') return fail('"name" is required.');
  const fields = keyFields(body);
  if (typeof fields === 'string') return fail(fields);
  let expiresAtMs: number | null = null;
  if (body.expires_at !== undefined && body.expires_at !== null) {
    const text = stringField(body, 'expires_at') ?? '';
    expiresAtMs = Date.parse(text);
    if (!/(Z|[+-]00:?00)$/.test(text) || Number.isNaN(expiresAtMs))
      return fail('"expires_at" must be an ISO-8601 UTC timestamp.');
    if (expiresAtMs <= ctx.core.clock.now()) return fail('"expires_at" must be in the future.');
  }
  const now = ctx.core.clock.now();
  const record = ctx.core.accounts.createKey(
    caller.account,
    {
      name,
      limit: fields.limit ?? null,
      limitReset: fields.limitReset ?? null,
      includeByokInLimit: fields.includeByokInLimit ?? false,
      expiresAtMs,
      creatorUserId: stringField(body, 'creator_user_id') ?? null,
      // Simulator extension: `"byok": true` makes calls with this key BYOK.
      byok: body.byok === true,
    },
    now,
  );
  sendJson(ctx, 201, { data: renderKey(ctx.core.accounts, record, now), key: record.key });
}

function findKey(ctx: RequestContext, caller: KeyRecord, hash: string): KeyRecord | undefined {
  const record = caller.account.keys.get(hash);
  if (record !== undefined && record.kind !== 'management') return record;
  sendError(ctx, withUser(notFound('API key not found'), caller.account.userId));
  return undefined;
}

export function handleKey(ctx: RequestContext, hash: string) {
  const caller = manager(ctx);
  if (caller === undefined) return;
  const record = findKey(ctx, caller, hash);
  if (record === undefined) return;
  const now = ctx.core.clock.now();
  if (ctx.method === 'DELETE') {
    ctx.core.accounts.deleteKey(record);
    return sendJson(ctx, 200, { deleted: true });
  }
  if (ctx.method === 'PATCH') {
    const body = ctx.body;
    const fail = (reply: ErrorReply) => sendError(ctx, withUser(reply, caller.account.userId));
    if (!isObject(body)) return fail(invalidRequest('Request body must be a JSON object.'));
    const fields = keyFields(body);
    if (typeof fields === 'string') return fail(invalidRequest(fields));
    if (body.name !== undefined) {
      const name = stringField(body, 'name');
      if (name === undefined || name.trim() === '')
        return fail(invalidRequest('"name" must be a non-empty string.'));
      record.name = name;
    }
    if (body.disabled !== undefined) {
      const disabled = booleanField(body, 'disabled');
      if (disabled === undefined) return fail(invalidRequest('"disabled" must be a boolean.'));
      record.disabled = disabled;
    }
    if (fields.limit !== undefined) record.limit = fields.limit === null ? null : parseUsd(fields.limit);
    if (fields.limitReset !== undefined) record.limitReset = fields.limitReset;
    if (fields.includeByokInLimit !== undefined) record.includeByokInLimit = fields.includeByokInLimit;
    record.updatedAtMs = now;
  }
  sendJson(ctx, 200, { data: renderKey(ctx.core.accounts, record, now) });
}

interface KeyFields {
  limit?: number | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
}

function keyFields(body: JsonObject): KeyFields | string {
  const fields: KeyFields = {};
  if (body.limit !== undefined) {
    if (
      body.limit !== null &&
      !(typeof body.limit === 'number' && Number.isFinite(body.limit) && body.limit >= 0)
    ) {
      return '"limit" must be a number ≥ 0 (USD) or null.';
    }
    fields.limit = body.limit;
  }
  if (body.limit_reset !== undefined) {
    const reset = body.limit_reset;
    if (reset !== null && !isLimitReset(reset))
      return '"limit_reset" must be daily, weekly, monthly or null.';
    fields.limitReset = reset;
  }
  if (body.include_byok_in_limit !== undefined) {
    const include = booleanField(body, 'include_byok_in_limit');
    if (include === undefined) return '"include_byok_in_limit" must be a boolean.';
    fields.includeByokInLimit = include;
  }
  return fields;
}

function isLimitReset(value: unknown): value is LimitReset {
  return value === 'daily' || value === 'weekly' || value === 'monthly';
}
