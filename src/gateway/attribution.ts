import type { TagValue } from '../ledger/index.ts';
import type { Attribution } from '../metering/index.ts';
import { hasControlCharacters } from '../shared/control-characters.ts';
import type { Principal } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

/** Module and tag names: tollgate's own vocabulary, so kept to what reads well in a report. */
const NAME = /^[\p{L}\p{N}_.:/@-][\p{L}\p{N} _.:/@-]{0,127}$/u;
const MAX_TAGS = 16;
/** A user id is the application's (auth0|…, e-mails, base64…): any text but control characters. */
const MAX_USER_ID = 256;

type HeaderValue = string | string[] | undefined;

/**
 * One attribution header's text. Node joins a repeated header's values with ", ", so a value
 * holding one is checked against the raw headers (rarely needed: names hold no comma). Node
 * reads header bytes as latin1; tollgate's headers are UTF-8, decoded here.
 */
function headerText(
  value: HeaderValue,
  name: string,
  rawHeaders: readonly string[] | undefined,
): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw new GatewayError('invalid_request', `Send the ${name} header once.`);
    return value[0] === undefined ? undefined : headerText(value[0], name, undefined);
  }
  if (value === undefined) return undefined;
  if (rawHeaders !== undefined && value.includes(', ') && occurrences(rawHeaders, name) > 1)
    throw new GatewayError('invalid_request', `Send the ${name} header once (it came more than once).`);
  if (isAscii(value)) return value;
  const text = Buffer.from(value, 'latin1').toString('utf8');
  if (text.includes('\uFFFD'))
    throw new GatewayError('invalid_request', `${name} is not valid UTF-8: send its value encoded as UTF-8.`);
  return text;
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

function occurrences(rawHeaders: readonly string[], name: string): number {
  const lower = name.toLowerCase();
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2)
    if ((rawHeaders[index] as string).toLowerCase() === lower) count++;
  return count;
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

function checkedUserId(value: string, where: string): string {
  if (value.trim() === '' || value.length > MAX_USER_ID || hasControlCharacters(value)) {
    throw new GatewayError(
      'invalid_request',
      `${where} must be 1-${MAX_USER_ID} characters, not all spaces, with no control characters (got ${JSON.stringify(value.slice(0, 40))}).`,
    );
  }
  return value;
}

/**
 * Who a gateway call is for: module from `X-Tollgate-Module`, user from the body's `user` or
 * `X-Tollgate-User` (the header first when `headerFirst`), tags from `X-Tollgate-Tags` (a JSON object, or `k=v,k2=v2`); the gateway
 * key's defaults fill what the request leaves out.
 */
export function attributionOf(
  headers: Record<string, HeaderValue>,
  bodyUser: unknown,
  principal: Principal,
  requestId: string,
  rawHeaders?: readonly string[],
  /** Where the body named its user, for error messages (Anthropic's is `metadata.user_id`). */
  userField = 'user',
  /** X-Tollgate-User wins over the body's user (see BodyUser.headerFirst). */
  headerFirst = false,
): Attribution {
  const key = principal.kind === 'key' ? principal.key : undefined;
  const moduleHeader = headerText(headers['x-tollgate-module'], 'X-Tollgate-Module', rawHeaders);
  const userHeader = headerText(headers['x-tollgate-user'], 'X-Tollgate-User', rawHeaders);
  const tagsHeader = headerText(headers['x-tollgate-tags'], 'X-Tollgate-Tags', rawHeaders);
  let userId: string | null = null;
  if (headerFirst && userHeader !== undefined) userId = checkedUserId(userHeader, 'X-Tollgate-User');
  else if (bodyUser !== undefined && bodyUser !== null && typeof bodyUser !== 'string') {
    throw new GatewayError(
      'invalid_request',
      `"${userField}" must be a string (a stable id of your end user).`,
    );
  } else if (typeof bodyUser === 'string') userId = checkedUserId(bodyUser, `The body's "${userField}"`);
  else if (userHeader !== undefined) userId = checkedUserId(userHeader, 'X-Tollgate-User');
  else userId = key?.defaultUser ?? null;
  return {
    module: moduleHeader ? checkedName(moduleHeader, 'X-Tollgate-Module') : (key?.defaultModule ?? 'default'),
    userId,
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
    // An own "__proto__" key (JSON.parse makes one) would set the prototype, not a tag.
    if (name === '__proto__')
      throw new GatewayError('invalid_request', 'X-Tollgate-Tags: "__proto__" is not a tag name.');
    const ok =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok || (typeof value === 'string' && value.length > 256)) {
      throw new GatewayError(
        'invalid_request',
        `X-Tollgate-Tags: tag "${name}" must be a string (≤256 chars), a finite number, a boolean or null.`,
      );
    }
    tags[name] = value as TagValue;
  }
  return tags;
}
