import type { KeyRecord } from './accounts.ts';
import { type ErrorReply, forbidden, unauthorized } from './errors.ts';
import type { RequestContext } from './http.ts';

/**
 * Who is calling. `inference` routes refuse management keys; `management` routes refuse ordinary
 * keys in strict mode (lenient mode lets any key manage its own account).
 */
export type KeyUse = 'inference' | 'management' | 'any';

export function bearerToken(ctx: RequestContext): string | undefined {
  const header = ctx.req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(.+?)\s*$/i.exec(header);
  return match?.[1];
}

export function authenticate(ctx: RequestContext, use: KeyUse): KeyRecord | ErrorReply {
  const token = bearerToken(ctx);
  if (token === undefined || token === '') return unauthorized('No cookie auth credentials found');
  const now = ctx.core.clock.now();
  const record = ctx.core.accounts.lookup(token, now);
  if (record === undefined) return unauthorized('User not found.');
  ctx.log.keyHash = record.hash;
  if (record.disabled) return unauthorized('User not found.');
  if (record.expiresAtMs !== null && record.expiresAtMs <= now)
    return unauthorized('This API key has expired.');
  if (use === 'inference' && record.kind === 'management') {
    return forbidden(
      'Management keys cannot be used for inference. Create an API key with POST /api/v1/keys.',
    );
  }
  if (use === 'management' && record.kind === 'inference' && ctx.core.accounts.strict) {
    return forbidden('Only management keys can perform this operation');
  }
  return record;
}

export function isErrorReply(value: KeyRecord | ErrorReply): value is ErrorReply {
  return 'status' in value && 'body' in value;
}
