import { hasControlCharacters } from '../shared/control-characters.ts';
import { type Principal, requireAdmin } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

/** Where passed-through routes live; the metered ones are served by tollgate itself. */
export const PASSTHROUGH_PREFIX = '/api/v1';

/** Paths below the prefix that tollgate meters itself (inference-door.ts): never passed through. */
const METERED = new Set(['/chat/completions', '/completions', '/embeddings', '/responses', '/messages']);

/** Account management: the admin key only, never a gateway key (they spend the operator's money). */
const ADMIN_ONLY = [
  /^\/keys(\/|$)/,
  /^\/credits(\/|$)/,
  /^\/activity(\/|$)/,
  /^\/auth\/keys(\/|$)/,
  // The upstream key's own record (its label, limit and the whole account's usage): tollgate
  // answers GET /key itself for a gateway key; any other spelling of it is the admin's.
  /^\/key$/,
  /^\/auth\/key$/,
  // Any generation's stored prompt and completion, whoever made it (and feedback on it).
  /^\/generation\//,
];

/**
 * Routes that spend money but that tollgate does not meter (no ledger row, no budget, no model
 * patterns): a gateway key calling them would spend outside every limit set on it, so only the
 * admin key may (or anyone while the gateway runs open on loopback).
 */
const UNMETERED_SPENDING = [
  /^\/responses\//,
  // Anthropic's token counter spends nothing; anything else below /messages (batches) does.
  /^\/messages\/(?!count_tokens$)/,
  /^\/rerank(\/|$)/,
  /^\/alpha\//,
];

export interface PassthroughPath {
  /** The path below the prefix, exactly as the caller sent it: what is forwarded. */
  raw: string;
  /** The same with each segment percent-decoded: what the checks look at. */
  decoded: string;
}

/**
 * Checks that a passed-through path means one thing only, so that what tollgate checks is what
 * OpenRouter serves: no empty segment (a trailing or doubled slash), no `.` or `..`, no encoded
 * slash, backslash or control character. A server that tidies such paths up (most do) would
 * otherwise answer `/chat/completions/` as `/chat/completions`, unmetered.
 */
export function passthroughPath(urlPath: string): PassthroughPath {
  const raw = urlPath.slice(PASSTHROUGH_PREFIX.length);
  if (!raw.startsWith('/') || raw === '/') throw notFound(urlPath, 'Name an OpenRouter route below /api/v1.');
  const decoded: string[] = [];
  for (const segment of raw.slice(1).split('/')) {
    if (segment === '')
      throw notFound(urlPath, 'Remove the empty path segment (a trailing or doubled slash).');
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      throw new GatewayError(
        'invalid_request',
        `The path ${JSON.stringify(urlPath)} has a malformed percent-encoding; encode a % as %25.`,
      );
    }
    if (
      text === '.' ||
      text === '..' ||
      text.includes('/') ||
      text.includes('\\') ||
      hasControlCharacters(text)
    )
      throw notFound(
        urlPath,
        'Paths with . or .. segments, encoded slashes or control characters are not passed through.',
      );
    decoded.push(text);
  }
  return { raw, decoded: `/${decoded.join('/')}` };
}

/**
 * Refuses what must not reach OpenRouter through the pass-through: the metered routes under
 * another spelling or method, account management without the admin key, unmetered spending with
 * a gateway key.
 */
export function checkPassthrough(
  path: PassthroughPath,
  method: string,
  principal: Principal,
  open: boolean,
): void {
  const lower = path.decoded.toLowerCase();
  if (METERED.has(lower)) {
    if (path.raw === lower)
      throw new GatewayError(
        'method_not_allowed',
        `${PASSTHROUGH_PREFIX}${lower} takes POST, not ${method}.`,
        { headers: { allow: 'POST' } },
      );
    throw notFound(
      `${PASSTHROUGH_PREFIX}${path.raw}`,
      `Call it as ${PASSTHROUGH_PREFIX}${lower}: every call to it is metered, so no other spelling is passed through.`,
    );
  }
  if (ADMIN_ONLY.some((pattern) => pattern.test(lower))) requireAdmin(principal, open);
  if (UNMETERED_SPENDING.some((pattern) => pattern.test(lower))) {
    if (principal.kind === 'admin' || (principal.kind === 'anonymous' && open)) return;
    throw new GatewayError(
      'permission_denied',
      `tollgate does not meter ${PASSTHROUGH_PREFIX}${path.decoded}, so a gateway key may not call it: its ` +
        `spending would escape the key's budget and model limits. Use ${PASSTHROUGH_PREFIX}/chat/completions, ` +
        'or the admin key.',
    );
  }
}

function notFound(urlPath: string, hint: string): GatewayError {
  return new GatewayError('not_found', `No route ${JSON.stringify(urlPath)}. ${hint}`);
}
