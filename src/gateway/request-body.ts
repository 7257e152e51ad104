import { GatewayError } from './gateway-error.ts';

export type JsonObject = Record<string, unknown>;

/** The body is read as it came: a compressed one would only fail to parse, saying less. */
export function checkContentEncoding(encoding: string | undefined): void {
  if (encoding === undefined || encoding.trim() === '' || encoding.trim().toLowerCase() === 'identity')
    return;
  throw new GatewayError(
    'unsupported_media_type',
    `tollgate does not accept compressed request bodies (Content-Encoding: ${encoding.slice(0, 40)}): send the JSON uncompressed.`,
  );
}

/** Parses the raw request body once: a JSON object, or a 400 that says what is wrong. */
export function parseJsonObject(raw: unknown): JsonObject {
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw new GatewayError(
      'invalid_json',
      'The request body is empty: send a JSON object with Content-Type: application/json.',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GatewayError('invalid_json', `The request body is not valid JSON (${reason.slice(0, 120)}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(
      'invalid_json',
      'The request body must be a JSON object, e.g. {"model": "...", "messages": [...]}.',
    );
  }
  return value as JsonObject;
}

function expectType(
  body: JsonObject,
  field: string,
  type: 'string' | 'boolean' | 'number',
  required = false,
): void {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw new GatewayError('invalid_request', `"${field}" is required.`);
    return;
  }
  if (typeof value !== type) {
    throw new GatewayError(
      'invalid_request',
      `"${field}" must be a ${type} (got ${Array.isArray(value) ? 'array' : typeof value}).`,
    );
  }
}

/** `model`, when given (or `required`): a model id, never an empty string. */
function expectModel(body: JsonObject, required = false): void {
  expectType(body, 'model', 'string', required);
  if (typeof body.model === 'string' && body.model.trim() === '')
    throw new GatewayError(
      'invalid_request',
      '"model" must be a model id such as "openai/gpt-4o-mini"; leave it out for your account\'s default.',
    );
}

/** `messages`: a non-empty array of objects with a role (chat's, and Anthropic's). */
function expectMessages(body: JsonObject): void {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new GatewayError(
      'invalid_request',
      '"messages" must be a non-empty array of {role, content} objects.',
    );
  }
  messages.forEach((message, index) => {
    if (typeof message !== 'object' || message === null || typeof (message as JsonObject).role !== 'string') {
      throw new GatewayError('invalid_request', `messages[${index}] must be an object with a "role" string.`);
    }
  });
}

/** The few checks tollgate makes itself (everything else is OpenRouter's to judge). */
export function validateChatBody(body: JsonObject): void {
  expectMessages(body);
  validateCommon(body);
}

export function validateCompletionBody(body: JsonObject): void {
  if (body.prompt === undefined)
    throw new GatewayError('invalid_request', '"prompt" is required (a string or an array of strings).');
  validateCommon(body);
}

/** The Responses API (§11.3): `input` is the conversation; `max_output_tokens` its output cap. */
export function validateResponsesBody(body: JsonObject): void {
  const input = body.input;
  if (typeof input !== 'string' && !(Array.isArray(input) && input.length > 0)) {
    throw new GatewayError(
      'invalid_request',
      '"input" is required: a string, or a non-empty array of input items such as {"role": "user", "content": "..."}.',
    );
  }
  expectWholeNumber(body, 'max_output_tokens');
  validateCommon(body);
}

/** The Messages API (§11.4): Anthropic's shape, where `max_tokens` is required. */
export function validateMessagesBody(body: JsonObject): void {
  expectMessages(body);
  if (body.max_tokens === undefined || body.max_tokens === null) {
    throw new GatewayError(
      'invalid_request',
      '"max_tokens" is required by the Messages API: the most tokens the answer may have, e.g. 1024.',
    );
  }
  validateCommon(body);
}

export function validateEmbeddingsBody(body: JsonObject): void {
  if (body.input === undefined)
    throw new GatewayError('invalid_request', '"input" is required (a string or an array of strings).');
  expectModel(body, true);
}

/** An output cap, when given: a whole number of tokens, at least one. */
function expectWholeNumber(body: JsonObject, field: string): void {
  const value = body[field];
  if (value !== undefined && value !== null && (!Number.isInteger(value) || (value as number) < 1)) {
    throw new GatewayError('invalid_request', `"${field}" must be a whole number ≥ 1.`);
  }
}

function validateCommon(body: JsonObject): void {
  expectModel(body);
  expectType(body, 'stream', 'boolean');
  expectWholeNumber(body, 'max_tokens');
  expectWholeNumber(body, 'max_completion_tokens');
  if (
    body.models !== undefined &&
    (!Array.isArray(body.models) || body.models.some((m) => typeof m !== 'string'))
  ) {
    throw new GatewayError('invalid_request', '"models" must be an array of model ids.');
  }
  // Read by the cost estimate before the call is sent, so checked here (OpenRouter refuses them too).
  for (const field of ['tools', 'plugins'] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && !Array.isArray(value)) {
      throw new GatewayError(
        'invalid_request',
        `"${field}" must be an array (got ${typeof value}); leave it out when there are none.`,
      );
    }
  }
}

/**
 * The bytes to send upstream for a call whose body tollgate parsed as `sent` and will send as
 * `final` (its profile, default cap and user applied): the caller's own bytes, with any top-level
 * field tollgate added spliced in after the opening brace. Re-serializing would rewrite what the
 * caller sent (numbers past 2^53 lose digits, formatting changes) and costs a stringify per call.
 * Only when tollgate changed a field the caller did send (a profile merged into its `provider`,
 * a cost cap into its `max_price`) is the whole body serialized anew.
 */
export function upstreamBody(original: Buffer, sent: JsonObject, final: JsonObject): Buffer | string {
  if (final === sent) return original;
  let added = '';
  for (const key of Object.keys(final)) {
    const value = final[key];
    if (Object.hasOwn(sent, key)) {
      if (sent[key] !== value) return JSON.stringify(final);
      continue;
    }
    if (value !== undefined) added += `${JSON.stringify(key)}:${JSON.stringify(value)},`;
  }
  if (added === '') return original;
  const open = original.indexOf(0x7b); // '{': the body parsed as an object, so it opens with one.
  let next = open + 1;
  while (next < original.length && isJsonWhitespace(original[next] as number)) next++;
  // An empty object takes the fields without the comma that would separate them from the rest.
  if (original[next] === 0x7d) added = added.slice(0, -1);
  return Buffer.concat([
    original.subarray(0, open + 1),
    Buffer.from(added, 'utf8'),
    original.subarray(open + 1),
  ]);
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
