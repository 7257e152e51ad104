import { authenticate, isErrorReply } from './auth.ts';
import type { AuthCode } from './core.ts';
import { forbidden, invalidRequest, withUser } from './errors.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { isObject, numberField, stringField } from './json-util.ts';
import { type ChallengeMethod, isValidVerifier, verifyPkce } from './pkce.ts';

/**
 * OAuth PKCE. On OpenRouter a signed-in user approves an app in the browser, which mints the code;
 * here POST /auth/keys/code (authenticated as the approving user) stands in for that step.
 * POST /auth/keys then exchanges code + code_verifier for a new API key on that user's account.
 */

const CODE_TTL_MS = 10 * 60_000;

function challengeMethod(value: unknown): ChallengeMethod | null | undefined {
  if (value === undefined || value === null) return null;
  if (value === 'S256' || value === 'plain') return value;
  return undefined;
}

export function handleCreateAuthCode(ctx: RequestContext) {
  const key = authenticate(ctx, 'any');
  if (isErrorReply(key)) return sendError(ctx, key);
  const fail = (message: string) => sendError(ctx, withUser(invalidRequest(message), key.account.userId));
  const body = ctx.body;
  if (!isObject(body)) return fail('Request body must be a JSON object.');
  const callback = stringField(body, 'callback_url');
  if (callback === undefined || !URL.canParse(callback))
    return fail('"callback_url" must be an absolute URL.');
  const challenge = stringField(body, 'code_challenge') ?? null;
  const method = challengeMethod(body.code_challenge_method);
  if (method === undefined) return fail('"code_challenge_method" must be "S256" or "plain".');
  if (method !== null && challenge === null)
    return fail('"code_challenge" is required with "code_challenge_method".');
  const limit = numberField(body, 'limit') ?? null;
  if (limit !== null && limit < 0) return fail('"limit" must be ≥ 0.');
  const now = ctx.core.clock.now();
  const code: AuthCode = {
    account: key.account,
    challenge,
    // A challenge without a method is S256, the only sensible default.
    method: challenge === null ? null : (method ?? 'S256'),
    keyLabel: stringField(body, 'key_label') ?? null,
    limit,
    expiresAtMs: now + CODE_TTL_MS,
  };
  const id = `code_${ctx.core.ids.alnum(32)}`;
  ctx.core.authCodes.set(id, code);
  sendJson(ctx, 200, { data: { id, app_id: 1, created_at: new Date(now).toISOString() } });
}

export function handleExchangeAuthCode(ctx: RequestContext) {
  const body = ctx.body;
  if (!isObject(body)) return sendError(ctx, invalidRequest('Request body must be a JSON object.'));
  const id = stringField(body, 'code');
  if (id === undefined || id === '') return sendError(ctx, invalidRequest('"code" is required.'));
  const method = challengeMethod(body.code_challenge_method);
  if (method === undefined)
    return sendError(ctx, invalidRequest('"code_challenge_method" must be "S256" or "plain".'));
  const now = ctx.core.clock.now();
  const code = ctx.core.authCodes.get(id);
  if (code === undefined || code.expiresAtMs <= now) {
    ctx.core.authCodes.delete(id);
    return sendError(ctx, forbidden('Invalid code: it is unknown, expired or already used.'));
  }
  if (code.challenge !== null && code.method !== null) {
    const verifier = stringField(body, 'code_verifier');
    if (verifier === undefined)
      return sendError(ctx, invalidRequest('"code_verifier" is required for this code.'));
    if (!isValidVerifier(verifier)) {
      return sendError(
        ctx,
        invalidRequest('"code_verifier" must be 43–128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636).'),
      );
    }
    if (method !== null && method !== code.method) {
      return sendError(
        ctx,
        invalidRequest(`"code_challenge_method" does not match the code (${code.method}).`),
      );
    }
    if (!verifyPkce(code.method, code.challenge, verifier))
      return sendError(ctx, forbidden('Invalid code_verifier.'));
  }
  ctx.core.authCodes.delete(id);
  const record = ctx.core.accounts.createKey(
    code.account,
    { name: code.keyLabel ?? 'OAuth key', limit: code.limit },
    now,
  );
  sendJson(ctx, 200, { key: record.key, user_id: code.account.userId });
}
