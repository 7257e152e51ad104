import type { UsageLike } from '../../pricing/index.ts';
import { isJsonObject } from '../../shared/json-object.ts';
import { encodeSseEvent } from '../../shared/sse/encoder.ts';
import type { JsonObject } from '../request-body.ts';
import type { StreamFacts, UpstreamStreamError } from '../stream-relay.ts';

/**
 * A request dialect other than chat's: OpenAI's Responses (`/responses`) or Anthropic's Messages
 * (`/messages`), both served by OpenRouter. The hot path stays the chat path; a dialect only
 * translates at its edges. The meter reads a chat-shaped view of the request (its messages,
 * output cap, fallbacks), so budgets, caps and estimates work unchanged; what the meter adds
 * (a default output cap, `provider.max_price`, a profile's fields) goes back into the caller's
 * body under the dialect's own names; and the answer's facts (id, model, usage, finish reason,
 * errors) are read in the dialect and handed to the ledger in chat's terms.
 */
export interface InferenceDialect {
  /** The end user the body names (attribution), and the field that names it, for error messages. */
  userOf(body: JsonObject): BodyUser;
  /**
   * `body` with the attributed end user filled in where this dialect names one, when the body
   * names none (OpenRouter then sees the same user as the ledger). `body` itself otherwise.
   */
  withUser(body: JsonObject, userId: string): JsonObject;
  /** The request as the meter reads it: the body's fields plus chat-shaped `messages`, `max_tokens`, `models`. */
  meteringView(body: JsonObject): JsonObject;
  /**
   * The body to send upstream: `body` plus what the meter changed in `admitted` (its copy of
   * `view`), under this dialect's field names. `body` itself when nothing changed.
   */
  upstreamRequest(body: JsonObject, view: JsonObject, admitted: JsonObject): JsonObject;
  /** The facts of a whole (non-streamed) answer. */
  answerFacts(answer: JsonObject): AnswerFacts;
  /** A reader for one streamed answer's events (see NamedEventRelay). */
  createEventReader(): EventReader;
  /**
   * The event that ends a stream tollgate has to end with an error (the upstream broke off or
   * left it unfinished), shaped like the dialect's own failures so the caller's SDK sees one.
   */
  finalErrorEvent(error: GatewayStreamError): string;
  /** The event an upstream error event becomes: the same shape, a message safe to show. */
  cleanErrorEvent(name: string, data: JsonObject, safeMessage: string): string;
}

export interface BodyUser {
  value: unknown;
  field: string;
  /**
   * Whether X-Tollgate-User wins over it. A field clients fill by themselves (Claude Code puts a
   * per-session JSON in Anthropic's `metadata.user_id`) must not stop the operator's header.
   */
  headerFirst: boolean;
}

/** What the gateway says when it has to end a stream itself. */
export interface GatewayStreamError {
  /** The stream's id (OpenRouter's) when known, else tollgate's request id. */
  id: string;
  model: string;
  status: number;
  code: string;
  message: string;
  requestId: string;
  createdAt: number;
}

/** The facts of an answer, in chat's terms (usage as chat's `usage`). */
export interface AnswerFacts {
  generationId: string | undefined;
  model: string | undefined;
  provider: string | undefined;
  usage: UsageLike | undefined;
  finishReason: string | null;
  nativeFinishReason: string | null;
  /** The answer says the call failed (a failed response, an error object): recorded as an error. */
  failure: { message: string; status: number } | undefined;
}

/** What a dialect makes of one stream event. */
export interface EventVerdict {
  /** The stream's last event: it and anything after it wait for the ledger commit. */
  terminal?: boolean;
  /** An upstream error the event carries: recorded, and the event replaced by a clean one. */
  error?: UpstreamStreamError;
}

/** A dialect's reader of named SSE events (`event: <name>` lines). */
export interface EventReader {
  /** Whether events of this name carry a fact (the others are forwarded without being decoded). */
  wants(name: string): boolean;
  /** Records what the event says into `facts`. */
  observe(name: string, data: JsonObject, facts: StreamFacts): EventVerdict | undefined;
}

/** One named event of a dialect's stream (`event:` and a one-line JSON `data:`). */
export function namedEvent(name: string, data: unknown): string {
  return encodeSseEvent({ event: name, data });
}

export function objectOf(value: unknown): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

export function countOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * `body` with the fields the meter changed in `admitted` (against `view`), renamed by `rename`;
 * fields only the view has (`viewOnly`) never reach upstream. A renamed field never replaces one
 * the caller sent under that name (a profile's cap must not override the call's own).
 */
export function withMeterChanges(
  body: JsonObject,
  view: JsonObject,
  admitted: JsonObject,
  viewOnly: ReadonlySet<string>,
  rename: (field: string) => string,
): JsonObject {
  let out = body;
  for (const key of Object.keys(admitted)) {
    if (viewOnly.has(key)) continue;
    const value = admitted[key];
    if (value === view[key]) continue;
    const target = rename(key);
    // (A caller's null is no value: `max_output_tokens: null` leaves the call uncapped.)
    const own = body[target];
    if (own === value || (target !== key && own !== undefined && own !== null)) continue;
    if (out === body) out = { ...body };
    out[target] = value;
  }
  return out;
}

/** An upstream error's status, from a number or a dialect's error type; 502 when neither says. */
export function statusOfError(code: unknown): number {
  if (typeof code === 'number' && code >= 400 && code <= 599) return code;
  if (typeof code === 'string') return ERROR_TYPE_STATUS[code] ?? 502;
  return 502;
}

/** Anthropic's error types (and OpenAI's string codes) by the status they stand for. */
const ERROR_TYPE_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  api_error: 502,
  server_error: 502,
  overloaded_error: 503,
};
