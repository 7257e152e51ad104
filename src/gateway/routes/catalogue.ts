import type { FastifyInstance } from 'fastify';
import { type GatewayKey, type LedgerRow, windowStart } from '../../ledger/index.ts';
import type { ModelInfo } from '../../pricing/index.ts';
import { moneyToNumber } from '../../shared/money.ts';
import { credentialsOf } from '../auth.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { GatewayError } from '../gateway-error.ts';
import { passThrough } from './passthrough.ts';

/**
 * `GET /v1/models` (OpenAI's list shape, with OpenRouter's fields and pricing kept) from the
 * cached catalogue, and `GET /api/v1/generation?id=` answered from the ledger.
 */
export function registerCatalogueRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  for (const prefix of ['/v1', '/api/v1']) {
    app.get(`${prefix}/models`, async (request, reply) => {
      // Filters and paging are OpenRouter's to apply: such queries go through as they are.
      if (prefix === '/api/v1' && request.url.includes('?')) return passThrough(ctx, request, reply);
      await ctx.auth.authenticate(credentialsOf(request.headers));
      return reply.send({ object: 'list', data: (await catalogue(ctx)).map(openAiModel) });
    });
  }
  // OpenAI's `models.retrieve(id)`. Under /api/v1, /models/… are OpenRouter's own routes
  // (a model's endpoints), passed through.
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request, reply) => {
    await ctx.auth.authenticate(credentialsOf(request.headers));
    // Model ids hold a slash, which SDKs send encoded (openai%2Fgpt-4o) or not; the router
    // leaves an encoded slash as it came.
    const id = request.params['*'].replaceAll(/%2F/gi, '/');
    const model = (await catalogue(ctx)).find((entry) => entry.id === id);
    if (!model)
      throw new GatewayError(
        'not_found',
        `No model ${JSON.stringify(id)} in the catalogue. GET /v1/models lists the model ids.`,
      );
    return reply.send(openAiModel(model));
  });

  // OpenRouter's `GET /key` describes the calling key: for a gateway key, that is the gateway
  // key (its budget and spend, from the ledger), never the upstream key behind tollgate, whose
  // usage is every caller's. The admin key gets OpenRouter's answer for the upstream key.
  for (const path of ['/api/v1/key', '/api/v1/auth/key']) {
    app.get(path, async (request, reply) => {
      const principal = await ctx.auth.authenticate(credentialsOf(request.headers));
      if (principal.kind !== 'key') return passThrough(ctx, request, reply);
      return reply.send({ data: await gatewayKeyInfo(ctx, principal.key) });
    });
  }

  app.get<{ Querystring: { id?: string } }>('/api/v1/generation', async (request, reply) => {
    const principal = await ctx.auth.authenticate(credentialsOf(request.headers));
    const id = request.query.id;
    if (!id || typeof id !== 'string')
      throw new GatewayError('invalid_request', 'Pass the generation id: /api/v1/generation?id=gen-…');
    const row = await ctx.ledger.getRequestByGenerationId(id);
    const visible = row && (principal.kind !== 'key' || row.keyId === principal.key.id);
    if (!visible) throw new GatewayError('not_found', `No generation ${id} in this tollgate ledger.`);
    return reply.send({ data: generationOf(row) });
  });
}

/** A ledger row in the shape of OpenRouter's generation record (§7), so its SDK can read it. */
function generationOf(row: LedgerRow): Record<string, unknown> {
  const cost = row.cost === null ? null : moneyToNumber(row.cost);
  return {
    id: row.generationId,
    request_id: row.id,
    upstream_id: null,
    created_at: new Date(row.createdAt).toISOString(),
    model: row.model ?? row.modelRequested,
    provider_name: row.provider,
    api_type: 'completions',
    router: null,
    app_id: null,
    http_referer: null,
    user_agent: null,
    origin: '',
    external_user: row.userId,
    streamed: row.streamed,
    cancelled: row.status === 'cancelled',
    is_byok: row.isByok ?? false,
    total_cost: cost ?? 0,
    usage: cost ?? 0,
    cost_known: row.costKnown,
    cost_source: row.costSource,
    cache_discount: null,
    upstream_inference_cost:
      row.upstreamInferenceCost === null ? null : moneyToNumber(row.upstreamInferenceCost),
    latency: row.upstreamLatencyMs ?? row.latencyMs,
    generation_time: row.generationTimeMs,
    moderation_latency: null,
    finish_reason: row.finishReason,
    native_finish_reason: row.nativeFinishReason,
    tokens_prompt: row.promptTokens,
    tokens_completion: row.completionTokens,
    native_tokens_prompt: row.promptTokens,
    native_tokens_completion: row.completionTokens,
    native_tokens_reasoning: row.reasoningTokens,
    native_tokens_cached: row.cachedTokens,
    native_tokens_completion_images: null,
    num_media_prompt: null,
    num_media_completion: null,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    web_search_engine: null,
    service_tier: null,
    preset_id: null,
    workspace_id: null,
    session_id: null,
    data_region: 'global',
    provider_responses: row.providerResponses,
    tollgate: { module: row.module, status: row.status, reconciled_at: row.reconciledAt },
  };
}

/** `GET /key`'s shape (api reference §9.2) for a gateway key: its budget and its spend so far. */
async function gatewayKeyInfo(ctx: GatewayContext, key: GatewayKey): Promise<Record<string, unknown>> {
  const now = ctx.clock.now();
  const [report, checks] = await Promise.all([
    ctx.ledger.reports.spend({ filters: { key: [key.id] }, groupBy: ['day'] }),
    ctx.ledger.budgets.status({ keyId: key.id }),
  ]);
  // OpenRouter's credit spend (`usage…`) and what BYOK providers charged (`byok_usage…`), summed
  // from the key's days: all of them, and those of the current UTC day, week and month.
  const spentSince = (startDay: string) => {
    let spend = 0n;
    let byok = 0n;
    for (const row of report.rows) {
      if ((row.group.day ?? '') < startDay) continue;
      spend += row.spend;
      byok += row.upstreamSpend;
    }
    return { spend, byok };
  };
  const total = spentSince('');
  const daily = spentSince(windowStart('day', now).startDay);
  const weekly = spentSince(windowStart('week', now).startDay);
  const monthly = spentSince(windowStart('month', now).startDay);
  const budget = checks.find((check) => check.budget.id === key.budgetId);
  return {
    label: key.prefix,
    name: key.name,
    limit: budget ? moneyToNumber(budget.budget.limit) : null,
    limit_remaining: budget ? Math.max(0, moneyToNumber(budget.remaining)) : null,
    limit_reset: budget && budget.budget.window !== 'total' ? LIMIT_RESET[budget.budget.window] : null,
    include_byok_in_limit: false,
    usage: moneyToNumber(total.spend),
    usage_daily: moneyToNumber(daily.spend),
    usage_weekly: moneyToNumber(weekly.spend),
    usage_monthly: moneyToNumber(monthly.spend),
    byok_usage: moneyToNumber(total.byok),
    byok_usage_daily: moneyToNumber(daily.byok),
    byok_usage_weekly: moneyToNumber(weekly.byok),
    byok_usage_monthly: moneyToNumber(monthly.byok),
    is_free_tier: false,
    is_management_key: false,
    is_provisioning_key: false,
    expires_at: null,
    // Fields OpenRouter's SDK requires, which describe the upstream account, not a gateway key:
    // neutral values, so the SDK reads the answer.
    creator_user_id: null,
    organization_id: null,
    workspace_id: null,
    allowed_data_regions: ['global'],
    free_model_daily_requests: { used: 0, limit: 0, remaining: 0 },
    rate_limit: {
      requests: key.rpmLimit ?? -1,
      interval: '1m',
      note: "tollgate: the gateway key's requests-per-minute limit (-1: none).",
    },
    tollgate: {
      key_id: key.id,
      default_module: key.defaultModule,
      rpm_limit: key.rpmLimit,
      allowed_models: key.allowedModels,
      reserved: budget ? moneyToNumber(budget.reserved) : null,
    },
  };
}

const LIMIT_RESET = { day: 'daily', week: 'weekly', month: 'monthly' } as const;

/** The cached catalogue; refused while it has never loaded (OpenRouter unreachable since start). */
async function catalogue(ctx: GatewayContext): Promise<readonly ModelInfo[]> {
  const models = await ctx.catalog.list();
  if (models.length === 0)
    throw new GatewayError(
      'upstream_unavailable',
      'The model catalogue is not available yet. Please try again.',
    );
  return models;
}

/** OpenAI's model object, with OpenRouter's fields (pricing, context length…) kept. */
function openAiModel(model: ModelInfo): Record<string, unknown> {
  return { object: 'model', owned_by: model.id.split('/')[0] ?? 'openrouter', ...model };
}
