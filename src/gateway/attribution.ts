import type { TagValue } from '../ledger/index.ts';
import type { Attribution } from '../metering/index.ts';
import type { Principal } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

const NAME = /^[\p{L}\p{N}_.:/@-][\p{L}\p{N} _.:/@-]{0,127}$/u;
const MAX_TAGS = 16;

type HeaderValue = string | string[] | undefined;

function single(value: HeaderValue, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw new GatewayError('invalid_request', `Send the ${name} header once.`);
    return value[0];
  }
  return value;
}

function checkedName(value: string, what: string): string {
  const trimmed = value.trim();
  if (!NAME.test(trimmed)) {
    throw new GatewayError(
      'invalid_request',
      `${what} must be 1-128 letters, digits, spaces or _ . : / @ - (got ${JSON.stringify(trimmed.slice(0, 40))}).`,
    );
  }
  return trimmed;
}

/**
 * Who a gateway call is for: module from `X-Tollgate-Module`, user from the body's `user` or
 * `X-Tollgate-User`, tags from `X-Tollgate-Tags` (a JSON object, or `k=v,k2=v2`); the gateway
 * key's defaults fill what the request leaves out.
 */
export function attributionOf(
  headers: Record<string, HeaderValue>,
  bodyUser: unknown,
  principal: Principal,
  requestId: string,
): Attribution {
  const key = principal.kind === 'key' ? principal.key : undefined;
  const moduleHeader = single(headers['x-tollgate-module'], 'X-Tollgate-Module');
  const userHeader = single(headers['x-tollgate-user'], 'X-Tollgate-User');
  const tagsHeader = single(headers['x-tollgate-tags'], 'X-Tollgate-Tags');
  if (bodyUser !== undefined && bodyUser !== null && typeof bodyUser !== 'string') {
    throw new GatewayError('invalid_request', '"user" must be a string (a stable id of your end user).');
  }
  const user = bodyUser ?? userHeader ?? key?.defaultUser ?? null;
  return {
    module: moduleHeader ? checkedName(moduleHeader, 'X-Tollgate-Module') : (key?.defaultModule ?? 'default'),
    userId: user === null ? null : checkedName(user, 'The user id'),
    keyId: key?.id ?? null,
    tags: tagsHeader ? parseTags(tagsHeader) : null,
    requestId,
  };
}

export function parseTags(text: string): Record<string, TagValue> {
  const trimmed = text.trim();
  let entries: [string, unknown][];
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new GatewayError(
        'invalid_request',
        'X-Tollgate-Tags is not valid JSON: send {"key":"value"} or key=value,key2=value2.',
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new GatewayError('invalid_request', 'X-Tollgate-Tags must be a JSON object of simple values.');
    }
    entries = Object.entries(parsed);
  } else {
    entries = trimmed
      .split(',')
      .filter((part) => part.trim() !== '')
      .map((part) => {
        const at = part.indexOf('=');
        if (at <= 0)
          throw new GatewayError(
            'invalid_request',
            `X-Tollgate-Tags: "${part.trim().slice(0, 40)}" is not key=value.`,
          );
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
      });
  }
  if (entries.length > MAX_TAGS)
    throw new GatewayError('invalid_request', `X-Tollgate-Tags: at most ${MAX_TAGS} tags.`);
  const tags: Record<string, TagValue> = {};
  for (const [name, value] of entries) {
    checkedName(name, 'A tag name');
    const ok = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (!ok || (typeof value === 'string' && value.length > 256)) {
      throw new GatewayError(
        'invalid_request',
        `X-Tollgate-Tags: tag "${name}" must be a string (≤256 chars), number, boolean or null.`,
      );
    }
    tags[name] = value as TagValue;
  }
  return tags;
}
