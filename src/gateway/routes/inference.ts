import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  errorFromResponse,
  type ForwardedResponse,
  isAPIError,
  isOpenRouterError,
} from '../../client/index.ts';
import {
  type CallEnd,
  type CallFailure,
  type FinishedCall,
  failureOf,
  type MeteredCall,
} from '../../metering/index.ts';
import type { UsageLike } from '../../pricing/index.ts';
import { nonEmptyString } from '../../shared/json-object.ts';
import { moneyToNumber, moneyToUsdString } from '../../shared/money.ts';
import { attributionOf } from '../attribution.ts';
import { credentialsOf, type Principal } from '../auth.ts';
import { type AnswerFacts, type InferenceDialect, statusOfError } from '../dialects/dialect.ts';
import { NamedEventRelay } from '../dialects/named-event-relay.ts';
import { forwardedRequestHeaders, returnedResponseHeaders } from '../forward-headers.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { GatewayError, toGatewayError } from '../gateway-error.ts';
import { checkModelsAllowed } from '../model-patterns.ts';
import { collectBody, pumpBody } from '../pump-body.ts';
import { checkContentEncoding, type JsonObject, parseJsonObject, upstreamBody } from '../request-body.ts';
import { sendGatewayError } from '../respond.ts';
import { type StreamFacts, StreamRelay, type UpstreamStreamError } from '../stream-relay.ts';

/** One metered inference route: where it goes upstream and what it checks itself. */
export interface InferenceRoute {
  /** Label for metrics and logs. */
  name: 'chat' | 'completions' | 'embeddings' | 'responses' | 'messages';
  upstreamPath: string;
  streamable: boolean;
  validate(body: JsonObject): void;
  /** The request and answer shapes, when not chat's (the Responses and Messages APIs). */
  dialect?: InferenceDialect;
}

/** What both stream relays offer the hot path. */
type Relay = Pick<StreamRelay, 'push' | 'drain' | 'releaseBeforeDone' | 'facts' | 'complete'>;

export interface IncomingCall {
  headers: IncomingHttpHeaders;
  /** Node's raw header list: tells a repeated attribution header from one value with a comma. */
  rawHeaders?: readonly string[];
  body: unknown;
}

/**
 * The gateway's hot path: authenticate, parse the body once, attribute, admit (budget
 * reservation and pending row), forward the caller's bytes, and pass the answer back — streams
 * chunk by chunk as they arrive, with a side reader metering a copy. The final bytes leave only
 * once the ledger row is committed. Writes to `res` directly (the framework is out of the way).
 */
export async function proxyInference(
  ctx: GatewayContext,
  route: InferenceRoute,
  incoming: IncomingCall,
  res: ServerResponse,
): Promise<void> {
  ctx.inFlight.calls += 1;
  try {
    await proxyCall(ctx, route, incoming, res);
  } finally {
    ctx.inFlight.calls -= 1;
  }
}

/**
 * Above this many calls in flight the gateway is busy: CPU, not latency, limits it, so a stream's
 * last read waits whole for the commit (one write instead of two; see relayStream).
 */
const BUSY_ABOVE_CALLS_IN_FLIGHT = 4;

async function proxyCall(
  ctx: GatewayContext,
  route: InferenceRoute,
  incoming: IncomingCall,
  res: ServerResponse,
): Promise<void> {
  const startedAt = ctx.clock.now();
  // Minted by the ledger, whose `begin` then knows it is new.
  const requestId = ctx.ledger.newRequestId(startedAt);
  let principal: Principal | undefined;
  let call: MeteredCall<JsonObject>;
  let upstreamBytes: Buffer | string;
  let streamed = false;
  // Refused before anything is written: a call tollgate does not send leaves no ledger row.
  let releaseStream: () => void = () => {};
  try {
    principal = await ctx.auth.authenticate(credentialsOf(incoming.headers));
    checkContentEncoding(incoming.headers['content-encoding']);
    const body = parseJsonObject(incoming.body);
    route.validate(body);
    const dialect = route.dialect;
    // The meter reads a dialect's request through a chat-shaped view of it.
    const view = dialect ? dialect.meteringView(body) : body;
    checkModelsAllowed(principal, view);
    ctx.rateLimiter.take(principal);
    // Only a dialect names its user elsewhere; a chat call allocates nothing for it.
    const named = dialect?.userOf(body);
    const attribution = attributionOf(
      incoming.headers,
      named ? named.value : body.user,
      principal,
      requestId,
      incoming.rawHeaders,
      named?.field,
      named?.headerFirst,
    );
    streamed = route.streamable && body.stream === true;
    if (streamed) releaseStream = ctx.rateLimiter.openStream(principal, ctx.maxStreamsPerKey);
    // The user reaches OpenRouter even when it came from a header or the key's default.
    const userId = attribution.userId;
    const withUser = !userId
      ? body
      : dialect
        ? dialect.withUser(body, userId)
        : body.user === undefined
          ? { ...body, user: userId }
          : body;
    call = await ctx.meter.admit({
      id: requestId,
      startedAt,
      request: dialect ? view : withUser,
      attribution,
      streamed,
      generatesOutput: route.name !== 'embeddings',
    });
    const final = dialect ? dialect.upstreamRequest(withUser, view, call.request) : call.request;
    upstreamBytes = upstreamBody(incoming.body as Buffer, body, final);
  } catch (error) {
    releaseStream();
    answerError(ctx, res, route, requestId, error);
    return;
  }

  // A caller who goes away mid-stream aborts the upstream call (stopping generation and billing
  // where the provider supports it). A non-streamed call runs on: its bill cannot be stopped,
  // so tollgate waits for the usage to record what it cost.
  const callerGone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) callerGone.abort(new Error('the caller disconnected'));
  });

  let opened: ForwardedResponse;
  const sentAt = ctx.clock.now();
  try {
    opened = await ctx.client.forward.open(
      {
        method: 'POST',
        path: route.upstreamPath,
        headers: forwardedRequestHeaders(incoming.headers),
        body: upstreamBytes,
      },
      streamed ? { signal: callerGone.signal } : {},
    );
  } catch (error) {
    releaseStream();
    const cancelled = callerGone.signal.aborted;
    const report = await finishCall(
      ctx,
      route,
      call,
      {
        failure: failureOf(error),
        cancelled,
        httpStatus: numberField(error, 'status'),
        attempts: numberField(error, 'attempts'),
      },
      sentAt,
    );
    if (!cancelled) answerError(ctx, res, route, requestId, error, call);
    report();
    return;
  }

  if (opened.earlierAttemptsMayHaveBilled) warnUnledgeredAttempt(ctx, route, call, opened.attempts);

  let answer: Buffer | undefined;
  try {
    const isStream = (opened.headers['content-type'] ?? '').includes('text/event-stream');
    answer =
      streamed && isStream
        ? await relayStream(ctx, route, call, opened, res, callerGone.signal, sentAt)
        : await relayJson(ctx, route, call, opened, res, callerGone.signal, sentAt);
  } finally {
    opened.release();
    releaseStream();
  }
  if (ctx.storeBodies) keepBodies(ctx, call.id, upstreamBytes, answer);
}

/**
 * The call is answered, but an earlier attempt broke off after its request may have reached
 * OpenRouter (a reset, a timeout): OpenRouter may have billed it, under a generation id tollgate
 * never saw, so its cost is in no row. Counted and logged, for a comparison with the bill.
 */
function warnUnledgeredAttempt(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  attempts: number,
): void {
  ctx.metrics.recordUnledgeredAttempt(route.name);
  ctx.logger.warn(
    { requestId: call.id, route: route.name, module: moduleOf(call), attempts },
    'an earlier attempt of this call may have been billed: its cost is in no ledger row',
  );
}

/** Not awaited: the stream must not wait for it, and a failure only costs crash recovery its id. */
function attachGenerationId(ctx: GatewayContext, id: string, generationId: string): void {
  ctx.ledger
    .attachGenerationId(id, generationId)
    .catch((error: unknown) =>
      ctx.logger.warn({ requestId: id, error: String(error) }, 'generation id not attached'),
    );
}

/** Opt-in body storage: after the answer, apart from the narrow row, never delaying the caller. */
function keepBodies(
  ctx: GatewayContext,
  id: string,
  request: Buffer | string,
  response: Buffer | undefined,
): void {
  ctx.ledger
    .saveBodies(id, { request: request.toString(), response: response?.toString('utf8') ?? null })
    .catch((error: unknown) =>
      ctx.logger.warn({ requestId: id, error: String(error) }, 'request bodies not stored'),
    );
}

async function relayStream(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  opened: ForwardedResponse,
  res: ServerResponse,
  callerGone: AbortSignal,
  sentAt: number,
): Promise<Buffer | undefined> {
  res.writeHead(200, {
    ...returnedResponseHeaders(opened.headers),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-tollgate-request-id': call.id,
  });
  // The headers leave with the first chunk when it is already here (upstream usually sends both
  // in one packet): one write instead of two. Otherwise they go at the end of this turn of the
  // event loop, so a caller waiting on a slow first token still gets its 200 at once.
  // (`res.headersSent` cannot tell: it is true from writeHead on, sent or not.)
  // The generation id is known before the first token: written to the row, it lets an interrupted
  // row be re-costed from GET /generation if this process dies mid-stream. It is written at the
  // end of this turn too, so its commit never delays the first chunk, and not at all when the
  // stream has already ended, or sent [DONE], by then (short streams often do): the completion
  // carries the id.
  let bodyStarted = false;
  const announcedId = opened.headers['x-generation-id'];
  const endOfTurn = setImmediate(() => {
    // A stream that ended within this turn is answered whole in a moment: headers and all at once.
    if (!bodyStarted && !relay.facts.sawDone && !res.destroyed) res.flushHeaders();
    if (announcedId && !relay.facts.sawDone) attachGenerationId(ctx, call.id, announcedId);
  });
  const dialect = route.dialect;
  const relay: Relay = dialect
    ? new NamedEventRelay(dialect.createEventReader(), (name, data, error) =>
        dialect.cleanErrorEvent(name, data, safeStreamErrorMessage(ctx, error)),
      )
    : new StreamRelay((chunk, error) => cleanErrorEvent(ctx, call.id, chunk, error));
  const kept: Buffer[] | undefined = ctx.storeBodies ? [] : undefined;
  // The relay holds the read carrying [DONE] whole. At low load what came before [DONE] in it
  // leaves at once, for the lowest latency. A busy gateway keeps it until the end of the turn:
  // when the upstream body ends within it (a short stream's usually does), everything goes out
  // in one write after the commit, which saves a write per stream where CPU is what limits.
  let beforeDoneTimer: NodeJS.Immediate | undefined;
  const sendBeforeDone = () => {
    const before = relay.releaseBeforeDone();
    if (!before || res.destroyed) return;
    bodyStarted = true;
    kept?.push(before);
    res.write(before);
  };
  let firstChunkAt: number | undefined;
  const broken = await pumpBody(opened.body, res, (chunk) => {
    firstChunkAt ??= ctx.clock.now();
    const out = relay.push(chunk);
    if (out) {
      bodyStarted = true;
      kept?.push(out);
      return out;
    }
    if (!relay.facts.sawDone || beforeDoneTimer !== undefined) return undefined;
    if (ctx.inFlight.calls > BUSY_ABOVE_CALLS_IN_FLIGHT) {
      beforeDoneTimer = setImmediate(sendBeforeDone);
      return undefined;
    }
    const before = relay.releaseBeforeDone();
    if (before) {
      bodyStarted = true;
      kept?.push(before);
    }
    return before;
  });
  clearImmediate(endOfTurn);
  clearImmediate(beforeDoneTimer);
  const held = relay.drain();
  const facts = relay.facts;
  const cancelled = callerGone.aborted;
  let failure: CallFailure | undefined;
  if (!cancelled) {
    if (broken !== undefined) failure = brokenBodyFailure(broken, 'stream_truncated');
    else if (facts.error) failure = { code: 'stream_error', message: facts.error.message, billed: 'unknown' };
    else if (!relay.complete) {
      failure = {
        code: 'stream_truncated',
        message: 'the upstream stream ended without [DONE] or usage',
        billed: 'unknown',
      };
    }
  }
  const report = await finishCall(
    ctx,
    route,
    call,
    {
      generationId: facts.id ?? opened.headers['x-generation-id'] ?? null,
      model: facts.model ?? null,
      provider: facts.provider ?? null,
      usage: facts.usage ?? null,
      finishReason: facts.finishReason,
      nativeFinishReason: facts.nativeFinishReason,
      httpStatus: opened.status,
      failure,
      cancelled,
      attempts: opened.attempts,
      ttftMs: firstChunkAt === undefined ? null : firstChunkAt - call.startedAt,
    },
    sentAt,
  );
  if (kept && held.length > 0) kept.push(held);
  const transcript = kept && Buffer.concat(kept);
  if (cancelled || res.destroyed) {
    report();
    return transcript;
  }
  // The row is committed: now the last bytes ([DONE]) may go. A failure the upstream did not
  // report itself becomes a final SSE error event, as OpenRouter does.
  const closing =
    failure && !facts.error
      ? Buffer.concat([
          held,
          Buffer.from(finalErrorEvent(ctx, route, call, facts, upstreamBodyError(broken))),
        ])
      : held;
  res.end(closing);
  report();
  return transcript;
}

async function relayJson(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  opened: ForwardedResponse,
  res: ServerResponse,
  callerGone: AbortSignal,
  sentAt: number,
): Promise<Buffer> {
  const { bytes, error: broken } = await collectBody(opened.body);
  const parsed = broken === undefined ? parseAnswer(bytes) : undefined;
  const answer = parsed?.ok ? parsed.value : undefined;
  let failure: CallFailure | undefined;
  let inBandError: GatewayError | undefined;
  if (broken !== undefined) failure = brokenBodyFailure(broken, 'invalid_response');
  else if (!answer)
    failure = {
      code: 'invalid_response',
      message: `upstream sent invalid JSON: ${parsed?.ok === false ? parsed.reason : ''}`,
      billed: 'unknown',
    };
  const facts = answer
    ? route.dialect
      ? route.dialect.answerFacts(answer)
      : chatAnswerFacts(answer)
    : undefined;
  if (!failure && facts?.failure) {
    // §6.5: a 200 that says the call failed: the provider failed after OpenRouter committed.
    const apiError = errorFromResponse(
      200,
      route.dialect ? { error: { code: facts.failure.status, message: facts.failure.message } } : answer,
      opened.headers,
      { secrets: ctx.secrets },
    );
    failure = failureOf(apiError);
    inBandError = toGatewayError(apiError);
  }
  const generationId = facts?.generationId ?? opened.headers['x-generation-id'] ?? null;
  const report = await finishCall(
    ctx,
    route,
    call,
    {
      generationId: generationId?.startsWith('gen-')
        ? generationId
        : (opened.headers['x-generation-id'] ?? null),
      model: facts?.model ?? null,
      provider: facts?.provider ?? null,
      usage: facts?.usage ?? null,
      finishReason: facts?.finishReason ?? null,
      nativeFinishReason: facts?.nativeFinishReason ?? null,
      httpStatus: opened.status,
      failure,
      cancelled: callerGone.aborted,
      attempts: opened.attempts,
    },
    sentAt,
  );
  if (res.destroyed) {
    report();
    return bytes;
  }
  if (failure) {
    // A body that broke off or does not parse is the upstream's fault: 502, never our 500.
    answerError(ctx, res, route, call.id, inBandError ?? upstreamBodyError(broken), call);
    report();
    return bytes;
  }
  res.writeHead(opened.status, {
    ...returnedResponseHeaders(opened.headers),
    'content-type': opened.headers['content-type'] ?? 'application/json',
    'content-length': bytes.length,
    'x-tollgate-request-id': call.id,
  });
  res.end(bytes);
  report();
  return bytes;
}

/**
 * Completes the call's ledger row (committed or journaled when this resolves); returns its report
 * (metrics, the log line), for the caller to run once the answer is written.
 */
async function finishCall(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  end: CallEnd,
  sentAt: number,
): Promise<() => void> {
  const now = ctx.clock.now();
  const finished = await call.finish({ ...end, latencyMs: now - call.startedAt });
  return () => reportCall(ctx, route, call, end, finished, { now, sentAt });
}

/** Metrics and the log line of a finished call: after its answer is written, never delaying it. */
function reportCall(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  end: CallEnd,
  finished: FinishedCall,
  { now, sentAt }: { now: number; sentAt: number },
): void {
  const model = end.model ?? (typeof call.request.model === 'string' ? call.request.model : 'default');
  const usage = end.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  ctx.metrics.recordCall({
    route: route.name,
    model,
    module: moduleOf(call),
    status: finished.status,
    promptTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
    completionTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : 0,
    costUsd: finished.cost === null ? null : moneyToNumber(finished.cost),
    upstreamSeconds: (now - sentAt) / 1000,
    ttftSeconds: typeof end.ttftMs === 'number' ? end.ttftMs / 1000 : undefined,
  });
  const level = end.failure ? 'warn' : 'debug';
  // Built only when it will be written: a call that went well is logged at debug level.
  if (!ctx.logger.isLevelEnabled(level)) return;
  ctx.logger[level](
    {
      requestId: call.id,
      route: route.name,
      module: moduleOf(call),
      model,
      status: finished.status,
      httpStatus: end.httpStatus,
      generationId: end.generationId,
      costUsd: finished.cost === null ? null : moneyToUsdString(finished.cost),
      latencyMs: now - call.startedAt,
      error: end.failure ? { code: end.failure.code, message: end.failure.message } : undefined,
    },
    end.failure ? 'call failed' : 'call completed',
  );
}

function moduleOf(call: MeteredCall<JsonObject>): string {
  return call.attribution.module;
}

function answerError(
  ctx: GatewayContext,
  res: ServerResponse,
  route: InferenceRoute,
  requestId: string,
  error: unknown,
  call?: MeteredCall<JsonObject>,
): void {
  const gatewayError = toGatewayError(error);
  ctx.metrics.recordError(route.name, gatewayError.code);
  if (!call) {
    const internal = error instanceof Error ? error.message : String(error);
    const level = gatewayError.status >= 500 ? 'error' : 'info';
    ctx.logger[level](
      { requestId, route: route.name, code: gatewayError.code, error: internal },
      'call refused',
    );
  }
  sendGatewayError(res, gatewayError, requestId);
}

/** An upstream error event, rewritten: OpenRouter's message only where the caller can act on it. */
function cleanErrorEvent(
  ctx: GatewayContext,
  requestId: string,
  chunk: Record<string, unknown>,
  error: UpstreamStreamError,
): string {
  const status = typeof error.code === 'number' ? error.code : 502;
  return `data: ${JSON.stringify({
    id: chunk.id,
    object: 'chat.completion.chunk',
    created: chunk.created,
    model: chunk.model,
    provider: chunk.provider,
    error: {
      code: status,
      message: safeStreamErrorMessage(ctx, error, status),
      metadata: { error_type: error.errorType ?? null, request_id: requestId },
    },
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }],
  })}\n\n`;
}

/** What a caller may read of an upstream error event: OpenRouter's message where it can act on it. */
function safeStreamErrorMessage(
  ctx: GatewayContext,
  error: UpstreamStreamError,
  status = statusOfError(error.code),
): string {
  return errorFromResponse(
    status,
    { error: { code: status, message: error.message } },
    {},
    { secrets: ctx.secrets },
  ).userMessage;
}

/** A chat (or completions, embeddings) answer's facts; a body holding only an error failed (§6.5). */
function chatAnswerFacts(answer: JsonObject): AnswerFacts {
  const choice = Array.isArray(answer.choices) ? (answer.choices[0] as JsonObject | undefined) : undefined;
  return {
    generationId: nonEmptyString(answer.id),
    model: nonEmptyString(answer.model),
    provider: nonEmptyString(answer.provider),
    usage: (answer.usage as UsageLike | undefined) ?? undefined,
    finishReason: nonEmptyString(choice?.finish_reason) ?? null,
    nativeFinishReason: nonEmptyString(choice?.native_finish_reason) ?? null,
    failure: answer.error && !answer.choices && !answer.data ? inBandFailure(answer.error) : undefined,
  };
}

function inBandFailure(error: unknown): AnswerFacts['failure'] {
  const fields = typeof error === 'object' && error !== null ? (error as JsonObject) : {};
  return { message: nonEmptyString(fields.message) ?? 'in-band error', status: statusOfError(fields.code) };
}

/**
 * The SSE error event that ends a stream the upstream broke off or left unfinished, shaped like
 * OpenRouter's own mid-stream errors (§5.5): a chunk with its id, created, model and provider, so
 * an SDK that validates chunks takes it as the error it is.
 */
function finalErrorEvent(
  ctx: GatewayContext,
  route: InferenceRoute,
  call: MeteredCall<JsonObject>,
  facts: StreamFacts,
  error: GatewayError,
): string {
  const requested = typeof call.request.model === 'string' ? call.request.model : undefined;
  if (route.dialect) {
    return route.dialect.finalErrorEvent({
      id: facts.id ?? call.id,
      model: facts.model ?? requested ?? 'unknown',
      status: error.status,
      code: error.code,
      message: error.message,
      requestId: call.id,
      createdAt: Math.floor(ctx.clock.now() / 1000),
    });
  }
  return `data: ${JSON.stringify({
    id: facts.id ?? call.id,
    object: 'chat.completion.chunk',
    created: Math.floor(ctx.clock.now() / 1000),
    model: facts.model ?? requested ?? 'unknown',
    provider: facts.provider,
    error: {
      code: error.status,
      message: error.message,
      metadata: { error_type: error.code, request_id: call.id },
    },
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }],
  })}\n\n`;
}

/**
 * How an upstream body that broke off (or ended unfinished, `broken` undefined) is recorded: the
 * client's own error where it raised one (a timeout), otherwise `code`, with the network's reason.
 */
function brokenBodyFailure(broken: unknown, code: 'stream_truncated' | 'invalid_response'): CallFailure {
  if (isOpenRouterError(broken) || isAPIError(broken)) return failureOf(broken);
  const reason = broken instanceof Error ? broken.message : String(broken);
  return { code, message: `the upstream body broke off: ${reason}`, billed: 'unknown' };
}

/** What the caller is told of an upstream body that broke off or ended unfinished: never our 500. */
function upstreamBodyError(broken: unknown): GatewayError {
  if (isOpenRouterError(broken) || isAPIError(broken)) return toGatewayError(broken);
  return new GatewayError(
    'upstream_invalid_response',
    'The AI service sent an invalid response. Please try again.',
  );
}

type ParsedAnswer = { ok: true; value: JsonObject } | { ok: false; reason: string };

function parseAnswer(bytes: Buffer): ParsedAnswer {
  try {
    // OpenRouter may send blank lines before the JSON while the model works (§4).
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return { ok: true, value: value as JsonObject };
    return { ok: false, reason: 'not an object' };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message.slice(0, 120) : 'unparseable' };
  }
}

function numberField(error: unknown, key: string): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : undefined;
}
