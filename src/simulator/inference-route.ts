import type { KeyRecord } from './accounts.ts';
import { planAnswer } from './answer.ts';
import { authenticate, isErrorReply } from './auth.ts';
import type { TokenUsage } from './billing.ts';
import type { CatalogueEndpoint, CatalogueModel } from './catalogue.ts';
import { parseUsd } from './decimal.ts';
import { type CallResult, DIALECTS } from './dialect.ts';
import {
  creditsExhausted,
  type ErrorReply,
  errorReply,
  fallsBack,
  faultReply,
  invalidRequest,
  keyLimitExceeded,
  notFound,
  withUser,
} from './errors.ts';
import { FAULT_INFO, type Fault } from './faults.ts';
import { anthropicRequestId, type RequestContext, sendError, sendJson } from './http.ts';
import type { InferenceRequest } from './inference-request.ts';
import { startOfUtcDay } from './periods.ts';
import { type InferenceKind, nativeFinishReason, type ServedCall } from './render.ts';
import { routeEndpoints } from './routing.ts';
import { type ProviderAttempt, settle } from './settle.ts';
import { isUnpaced, type Pacing, writeStream } from './stream-writer.ts';
import { analyzeMessages, type PromptStats } from './tokenizer.ts';
import { sendInvalidJson, sendTruncatedJson, stallConnection } from './transport-faults.ts';
import { generationId } from './unique-ids.ts';

/**
 * POST /chat/completions, /completions, /responses and /messages: auth, checks, faults, routing,
 * answer, billing. The kind's dialect reads the request and writes the reply (dialect.ts).
 */
export async function handleInference(ctx: RequestContext, kind: InferenceKind): Promise<void> {
  const core = ctx.core;
  const dialect = DIALECTS[kind];
  const key = authenticate(ctx, 'inference');
  if (isErrorReply(key)) return sendError(ctx, key);
  const userId = key.account.userId;
  const fail = (reply: ErrorReply) => sendError(ctx, withUser(reply, userId));

  const request = dialect.parse(ctx.body, core.options.defaultModel);
  if (typeof request === 'string') return fail(invalidRequest(request));
  const chain: CatalogueModel[] = [];
  for (const id of request.modelIds) {
    const model = core.catalogue.resolve(id);
    if (model === undefined || model.isEmbedding)
      return fail(invalidRequest(`${id} is not a valid model ID`));
    chain.push(model);
  }
  ctx.log.model = request.modelIds[0];
  ctx.log.streamed = request.stream;

  const now = core.clock.now();
  if (key.account.totalCredits - key.account.totalUsage <= 0n) return fail(creditsExhausted());
  const remaining = core.accounts.limitRemaining(key, now);
  if (remaining !== null && remaining <= 0n) return fail(keyLimitExceeded());

  const header = ctx.req.headers['x-simulator-fault'];
  const choice = core.faults.choose(userId, Array.isArray(header) ? header.join(',') : header);
  if (choice.error !== undefined) return fail(invalidRequest(choice.error));
  const fault = choice.fault;
  if (fault !== null) ctx.log.fault = fault.name;
  if (fault?.name === 'reset') {
    ctx.log.status = 0;
    ctx.req.socket.destroy();
    return;
  }
  if (fault?.name === 'stall') return stallConnection(ctx, fault.ms ?? core.options.stallMs);
  if (fault?.name === 'invalid-json') return sendInvalidJson(ctx);

  const stats = analyzeMessages(request.messages, request.extraPromptTokens);
  const attempts: ProviderAttempt[] = [];
  const route = chooseRoute(ctx, key, chain, request, stats, fault, attempts);
  if ('status' in route) return fail(route);
  const { model, endpoint } = route;

  const answer = planAnswer({ request, model, endpoint, stats, seed: core.options.seed, fault });
  const call: ServedCall = {
    kind,
    id: generationId(core.ids, now),
    created: Math.floor(now / 1000),
    model: model.spec.id,
    provider: endpoint.provider,
    fingerprint: endpoint.provider.fingerprints ? model.fingerprint : null,
    answer,
  };
  const cache = cacheFor(ctx, key, model, request, stats);
  const usageOf = (completionTokens: number): TokenUsage => ({
    promptTokens: stats.tokens,
    cachedTokens: cache.cached,
    cacheWriteTokens: cache.written,
    completionTokens,
    reasoningTokens: Math.min(answer.reasoningTokens, completionTokens),
    images: stats.images,
  });
  const settleWith = (
    completionTokens: number,
    extra: { finish: string | null; cancelled: boolean; billable: boolean; firstTokenAtMs: number | null },
  ): CallResult => {
    const usage = usageOf(completionTokens);
    const settlement = settle({
      ctx,
      key,
      model,
      endpoint,
      generationId: call.id,
      apiType: 'completions',
      usage,
      finishReason: extra.finish,
      nativeFinishReason: extra.finish === null ? null : nativeFinishReason(call),
      streamed: request.stream,
      cancelled: extra.cancelled,
      billable: extra.billable,
      failedAttempts: attempts,
      firstTokenAtMs: extra.firstTokenAtMs,
      externalUser: request.user,
      sessionId: request.sessionId,
    });
    return { usage, settlement, completedAt: Math.floor(core.clock.now() / 1000) };
  };
  const pacing = pacingFor(ctx, fault);
  const truncated = fault?.name === 'truncated-stream';

  if (request.stream) {
    const ending = truncated ? 'truncated' : answer.error !== null ? 'error' : 'normal';
    const plan = dialect.stream(call, ending, usageOf(0));
    return writeStream(ctx, call.id, plan, ending, pacing, (outcome) => {
      const finish = outcome.cancelled || ending === 'truncated' ? null : answer.finishReason;
      return settleWith(outcome.producedTokens, {
        finish,
        cancelled: outcome.cancelled,
        billable: ending !== 'truncated',
        firstTokenAtMs: outcome.firstTokenAtMs,
      });
    });
  }

  if (!isUnpaced(pacing)) {
    // A non-streamed answer arrives whole, after the time its tokens take (§5.7: aborting it
    // does not stop billing, so the call is settled even if the client left).
    const signal = ctx.core.shutdown.signal;
    const total = pacing.firstMs + answer.completionTokens * pacing.perTokenMs + pacing.perFrameMs;
    try {
      await core.clock.sleep(total, signal);
    } catch {
      return;
    }
  }
  const firstTokenAtMs = core.clock.now();
  const result = settleWith(answer.completionTokens, {
    finish: truncated ? null : answer.finishReason,
    cancelled: false,
    billable: !truncated,
    firstTokenAtMs,
  });
  const reply = dialect.reply(call, result, () => anthropicRequestId(ctx));
  ctx.res.setHeader('X-Generation-Id', call.id);
  if (truncated) return sendTruncatedJson(ctx, JSON.stringify(reply.body));
  sendJson(ctx, reply.status, reply.body, reply.headers);
}

type Route = { model: CatalogueModel; endpoint: CatalogueEndpoint } | ErrorReply;

const TEN_USD = parseUsd(10);

/** Walks the model chain: the primary's pre-commit failure falls back to the next model (§3.1). */
function chooseRoute(
  ctx: RequestContext,
  key: KeyRecord,
  chain: CatalogueModel[],
  request: InferenceRequest,
  stats: PromptStats,
  fault: Fault | null,
  attempts: ProviderAttempt[],
): Route {
  let lastError: ErrorReply = notFound('No endpoints found for the requested models.');
  for (const [i, model] of chain.entries()) {
    const endpoints = routeEndpoints(model, request.provider);
    const first = endpoints[0];
    if (first === undefined) {
      lastError = notFound(
        `No allowed providers are available for ${model.spec.id}. Check provider.only/ignore/order.`,
      );
      continue;
    }
    if (stats.tokens > first.contextLength) {
      lastError = errorReply(
        400,
        `This endpoint's maximum context length is ${first.contextLength} tokens. However, you requested about ${stats.tokens} tokens. Please reduce the length of the messages.`,
        'context_length_exceeded',
      );
      continue;
    }
    if (model.isFree && freeLimitReached(key, ctx.core.clock.now())) {
      lastError = errorReply(
        429,
        'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
        'rate_limit_exceeded',
        {},
        {
          'X-RateLimit-Limit': String(freeLimit(key)),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(startOfUtcDay(ctx.core.clock.now()) + 86_400_000),
        },
      );
      continue;
    }
    if (i === 0 && fault !== null && FAULT_INFO[fault.name].kind === 'status') {
      const reply = faultReply(fault, {
        model: model.spec.id,
        providerName: first.provider.name,
        lastText: stats.lastText,
        nowMs: ctx.core.clock.now(),
      });
      attempts.push({ endpoint: first, model, status: reply.status, latencyMs: 0 });
      lastError = reply;
      if (i < chain.length - 1 && fallsBack(reply.status)) continue;
      return reply;
    }
    if (fault?.name === 'provider-fallback') {
      attempts.push({ endpoint: first, model, status: 429, latencyMs: 0 });
      return { model, endpoint: endpoints[1] ?? first };
    }
    return { model, endpoint: first };
  }
  return lastError;
}

function freeLimit(key: KeyRecord): number {
  return key.account.totalCredits >= TEN_USD ? 1000 : 50;
}

function freeLimitReached(key: KeyRecord, now: number): boolean {
  const used = key.account.freeDay === startOfUtcDay(now) ? key.account.freeUsed : 0;
  return used >= freeLimit(key);
}

function cacheFor(
  ctx: RequestContext,
  key: KeyRecord,
  model: CatalogueModel,
  request: InferenceRequest,
  stats: PromptStats,
) {
  const caching = model.spec.caching;
  if (caching === 'none' || model.prices.cacheRead === null) return { cached: 0, written: 0 };
  const marked = request.cacheControl || stats.cacheControl;
  // Anthropic-style models cache only what the request marks; implicit caches read on their own.
  if (caching === 'explicit' && !marked) return { cached: 0, written: 0 };
  const writes = marked && model.prices.cacheWrite !== null;
  return ctx.core.promptCache.observe(`${key.account.userId}|${model.spec.id}`, stats.boundaries, writes);
}

function pacingFor(ctx: RequestContext, fault: Fault | null): Pacing {
  const o = ctx.core.options;
  const tps = o.tokensPerSecond;
  return {
    firstMs: fault?.name === 'slow-first-token' ? (fault.ms ?? 3000) : o.firstTokenMs,
    perTokenMs: tps > 0 && Number.isFinite(tps) ? 1000 / tps : 0,
    perFrameMs: fault?.name === 'slow-stream' ? (fault.ms ?? 250) : 0,
  };
}
