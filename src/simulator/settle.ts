import type { KeyRecord } from './accounts.ts';
import { type Charge, computeCharge, effectivePrices, isInsured, type TokenUsage } from './billing.ts';
import type { CatalogueEndpoint, CatalogueModel } from './catalogue.ts';
import { usdToNumber } from './decimal.ts';
import type { ProviderAttempt } from './generations.ts';
import type { RequestContext } from './http.ts';
import { startOfUtcDay } from './periods.ts';

/**
 * The end of a call: price it, charge the account and key, record the generation (served by
 * /generation after the lag) and the activity row, and build the `usage` object.
 */

export type { ProviderAttempt };

export interface SettleInput {
  ctx: RequestContext;
  key: KeyRecord;
  model: CatalogueModel;
  endpoint: CatalogueEndpoint;
  generationId: string;
  apiType: 'completions' | 'embeddings';
  usage: TokenUsage;
  finishReason: string | null;
  nativeFinishReason: string | null;
  streamed: boolean;
  cancelled: boolean;
  /** false for failures that must not be billed whatever their output (e.g. a truncated stream). */
  billable: boolean;
  /** Attempts that failed before the serving endpoint (fallbacks, provider retries). */
  failedAttempts: ProviderAttempt[];
  firstTokenAtMs: number | null;
  externalUser: string | null;
  sessionId: string | null;
}

export interface Settlement {
  charge: Charge;
  usage: Record<string, unknown>;
}

export function settle(input: SettleInput): Settlement {
  const { ctx, key, model, usage } = input;
  const core = ctx.core;
  const now = core.clock.now();
  const prices =
    model.spec.pricing.overrides === undefined && model.spec.pricing.discount === undefined
      ? model.prices
      : effectivePrices(model.spec.pricing, model.prices, usage.promptTokens, now);
  const insured =
    !input.billable ||
    (input.apiType === 'completions' && isInsured(input.finishReason, usage.completionTokens));
  const charge = computeCharge(usage, prices, { byok: key.byok, insured });
  core.accounts.charge(key, charge.charged, charge.fullCost, key.byok, now);
  if (model.isFree) countFreeRequest(key, now);

  const cost = usdToNumber(charge.charged);
  const fullCost = usdToNumber(charge.fullCost);
  const rendered: Record<string, unknown> = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    cost,
    is_byok: key.byok,
    prompt_tokens_details: {
      cached_tokens: usage.cachedTokens,
      cache_write_tokens: usage.cacheWriteTokens,
      audio_tokens: 0,
      video_tokens: 0,
    },
    cost_details: {
      upstream_inference_cost: fullCost,
      upstream_inference_prompt_cost: usdToNumber(charge.promptCost),
      upstream_inference_completions_cost: usdToNumber(charge.completionCost),
    },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens, image_tokens: 0 },
  };

  const headers = ctx.req.headers;
  core.generations.add({
    id: input.generationId,
    userId: key.account.userId,
    keyHash: key.hash,
    startedAtMs: ctx.startedAtMs,
    completedAtMs: now,
    readyAtMs: now + core.options.generationLagMs,
    firstTokenAtMs: input.firstTokenAtMs,
    charged: charge.charged,
    upstream: charge.fullCost,
    cacheDiscount: charge.cacheDiscount,
    byok: key.byok,
    model,
    endpoint: input.endpoint,
    failedAttempts: input.failedAttempts,
    usage,
    apiType: input.apiType,
    finishReason: input.finishReason,
    nativeFinishReason: input.nativeFinishReason,
    streamed: input.streamed,
    cancelled: input.cancelled,
    externalUser: input.externalUser,
    sessionId: input.sessionId ?? headerText(headers['x-session-id']),
    httpReferer: headerText(headers['http-referer']),
    userAgent: headerText(headers['user-agent']),
    origin: headerText(headers.origin),
  });
  core.generations.recordActivity({
    userId: key.account.userId,
    keyHash: key.hash,
    atMs: now,
    model: model.spec.id,
    permaslug: model.spec.canonicalSlug,
    endpointId: input.endpoint.id,
    providerName: input.endpoint.provider.name,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    reasoningTokens: usage.reasoningTokens,
    charged: charge.charged,
    byokUpstream: key.byok ? charge.fullCost : 0n,
  });
  ctx.log.generationId = input.generationId;
  return { charge, usage: rendered };
}

function countFreeRequest(key: KeyRecord, now: number): void {
  const day = startOfUtcDay(now);
  if (key.account.freeDay !== day) {
    key.account.freeDay = day;
    key.account.freeUsed = 0;
  }
  key.account.freeUsed++;
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
