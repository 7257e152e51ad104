import type { ModuleProfile } from '../config/index.ts';
import type { Ledger, LedgerLogger, Reservation, TagValue, TokenCheckFlag } from '../ledger/index.ts';
import {
  type ChatRequestLike,
  cheapestOutcomeCost,
  countInputImages,
  estimatePromptTokens,
  type ModelCatalog,
  maxOutputTokens,
  maxPriceForProvider,
  NOT_LOADED,
  type Pricing,
  type WorstCaseOptions,
  worstCaseCost,
} from '../pricing/index.ts';
import type { Clock } from '../shared/clock.ts';
import { type Money, moneyFromUsd } from '../shared/money.ts';
import { applyModuleProfile } from './apply-profile.ts';
import { BudgetIndex } from './budget-index.ts';
import { type CallEnd, outcomeOf } from './call-end.ts';
import {
  BalanceTooLowError,
  CostCapExceededError,
  FallbackOverCapError,
  UnpricedCapError,
} from './errors.ts';

/** Who a call is for: its pipeline module, end user, gateway key and free-form tags. */
export interface Attribution {
  module: string;
  userId?: string | null | undefined;
  keyId?: string | null | undefined;
  tags?: Readonly<Record<string, TagValue>> | null | undefined;
  /** A caller's correlation id, kept on the row. */
  requestId?: string | null | undefined;
}

/** What is left to spend on the OpenRouter key or account, when known (see BalanceWatcher). */
export interface BalanceSource {
  remaining(): Money | undefined;
}

export interface MeterOptions {
  ledger: Ledger;
  catalog: ModelCatalog;
  clock: Clock;
  /** Cap for calls that set no max_tokens themselves nor through their module. */
  defaultMaxTokens: number;
  profiles?: Readonly<Record<string, ModuleProfile>>;
  logger?: LedgerLogger;
  balance?: BalanceSource;
  /** How stale the list of budgets may be before it is re-read (other processes' changes). */
  budgetRefreshMs?: number;
  /** Reserved when the model's price is unknown, so budgets still count the call at a worst case. */
  unknownModelWorstCaseUsd?: string;
}

export interface AdmitInput<TRequest> {
  /** The row id to use (the gateway's request id, a UUIDv7 taken at `startedAt`); default a fresh one. */
  id?: string | undefined;
  /** When the call began (epoch ms); required with `id`, whose timestamp it must match. */
  startedAt?: number | undefined;
  request: TRequest;
  attribution: Attribution;
  streamed: boolean;
  /** Per-call cost cap in USD (decimal text); else the module profile's. */
  maxCostUsd?: string | undefined;
  /**
   * False for a call that generates no output (embeddings): it gets no default `max_tokens`,
   * which would mean nothing to it. Default true.
   */
  generatesOutput?: boolean | undefined;
}

/** An admitted call: its row is pending in the ledger and its worst case reserved. */
export interface MeteredCall<TRequest> {
  /** tollgate's request id: the ledger row's id. */
  readonly id: string;
  /** The request to send upstream: the caller's, with its module profile and the default cap applied. */
  readonly request: TRequest;
  readonly attribution: Attribution;
  readonly startedAt: number;
  /** The most the call can cost (computed when first asked: only budgets and balances need it). */
  readonly worstCase: Money;
  /** Records how the call ended; resolves once the row is committed. Idempotent. */
  finish(end: CallEnd): Promise<FinishedCall>;
}

export interface FinishedCall {
  status: string;
  cost: Money | null;
  costSource: string | null;
  estimatedCost: Money | null;
  tokenCheck: readonly TokenCheckFlag[];
}

export interface Meter {
  admit<TRequest extends ChatRequestLike>(input: AdmitInput<TRequest>): Promise<MeteredCall<TRequest>>;
  /**
   * The most a call could cost, as `admit` would reserve it (module profile, default cap, the
   * prices of its model and of any fallback in `models`); `undefined` when one of their prices is
   * unknown. Admits nothing.
   */
  worstCase(request: ChatRequestLike, module: string): Promise<Money | undefined>;
  /** Calls whose cost stayed unknown since start (also warned about one by one). */
  unknownCostCount(): number;
}

const DEFAULT_UNKNOWN_MODEL_WORST_CASE_USD = '1';

interface FallbackPricing {
  model: string;
  pricing: Pricing | undefined;
}

/** What almost every call has: one shared empty list, not a new one per call. */
const NO_FALLBACKS: readonly FallbackPricing[] = [];

/**
 * The worst case of the dearest model that may serve the call (its model, then its fallbacks);
 * a model without a known price counts as `unpriced`.
 */
function dearestWorstCase(
  request: ChatRequestLike,
  pricings: ReadonlyArray<Pricing | undefined>,
  options: WorstCaseOptions,
  unpriced: Money,
): Money {
  let most: Money = 0n;
  for (const pricing of pricings) {
    const worst = pricing ? worstCaseCost(request, pricing, options) : unpriced;
    if (worst > most) most = worst;
  }
  return most;
}

/** Whether the model has a per-image price (its own or in a time or size override). */
function chargesPerImage(pricing: Pricing | undefined): boolean {
  if (!pricing) return false;
  const nonZero = (price: unknown) => typeof price === 'string' && /[1-9]/.test(price);
  return nonZero(pricing.image) || (pricing.overrides ?? []).some((override) => nonZero(override.image));
}

/**
 * The metered call, shared by the library facade and the gateway: attribution → profile →
 * cost cap → budget reservation → pending row, then (after the caller's upstream call) cost →
 * completed row → settled reservation.
 */
export function createMeter(options: MeterOptions): Meter {
  const { ledger, catalog, clock, logger } = options;
  const budgetIndex = new BudgetIndex(ledger.budgets, clock, options.budgetRefreshMs ?? 1_000);
  const unknownModelWorstCase = moneyFromUsd(
    options.unknownModelWorstCaseUsd ?? DEFAULT_UNKNOWN_MODEL_WORST_CASE_USD,
  );
  let unknownCosts = 0;

  /** The price now when the catalogue can tell without waiting, else once it has loaded. */
  function pricingOf(
    model: string | undefined,
    provider?: string | null,
  ): Pricing | undefined | Promise<Pricing | undefined> {
    if (!model) return undefined;
    const now = catalog.quoteNow(model, provider ?? undefined);
    if (now !== NOT_LOADED) return now?.pricing;
    return catalog.priceFor(model, provider ?? undefined).then((quote) => quote?.pricing);
  }

  /**
   * The fallback models of a request (`models`, the primary left out), each with its price;
   * answered without waiting when there are none (almost every call).
   */
  function fallbackPricings(
    request: ChatRequestLike,
    primary: string | undefined,
  ): readonly FallbackPricing[] | Promise<readonly FallbackPricing[]> {
    if (!Array.isArray(request.models) || request.models.length === 0) return NO_FALLBACKS;
    const models = new Set(
      request.models.filter((model): model is string => typeof model === 'string' && model !== primary),
    );
    return Promise.all([...models].map(async (model) => ({ model, pricing: await pricingOf(model) })));
  }

  return {
    unknownCostCount: () => unknownCosts,

    async worstCase(request, module) {
      const profiled = applyModuleProfile(request, options.profiles?.[module], options.defaultMaxTokens);
      const model = typeof profiled.request.model === 'string' ? profiled.request.model : undefined;
      const pricings = [
        await pricingOf(model),
        ...(await fallbackPricings(profiled.request, model)).map((f) => f.pricing),
      ];
      if (pricings.some((pricing) => pricing === undefined)) return undefined;
      const at = new Date(clock.now());
      return dearestWorstCase(
        profiled.request,
        pricings,
        { at, defaultMaxTokens: options.defaultMaxTokens },
        0n,
      );
    },

    async admit<TRequest extends ChatRequestLike>(
      input: AdmitInput<TRequest>,
    ): Promise<MeteredCall<TRequest>> {
      const { attribution } = input;
      const profiled = applyModuleProfile(
        input.request,
        options.profiles?.[attribution.module],
        input.generatesOutput === false ? null : options.defaultMaxTokens,
        input.maxCostUsd,
      );
      let request = profiled.request;
      const startedAt = input.startedAt ?? clock.now();
      const at = new Date(startedAt);
      const modelRequested = typeof request.model === 'string' ? request.model : undefined;
      const priced = pricingOf(modelRequested);
      const pricing = priced instanceof Promise ? await priced : priced;
      // Any fallback in `models` may serve the call instead: priced only when there are some.
      const listed = fallbackPricings(request, modelRequested);
      const fallbacks = listed instanceof Promise ? await listed : listed;
      // Estimating the prompt walks every message: done only when a budget, a balance or the
      // caller asks, never for a call nothing limits (the gateway's usual case).
      const profiledRequest = request;
      const worstCaseOptions = { at, defaultMaxTokens: options.defaultMaxTokens };
      let worstCaseMemo: Money | undefined;
      const worstCase = (): Money =>
        (worstCaseMemo ??= dearestWorstCase(
          profiledRequest,
          [pricing, ...fallbacks.map((fallback) => fallback.pricing)],
          worstCaseOptions,
          unknownModelWorstCase,
        ));

      if (profiled.maxCostUsd !== undefined) {
        const cap = moneyFromUsd(profiled.maxCostUsd);
        // A cap tollgate cannot price is a cap it cannot keep: refused, never silently dropped.
        if (!pricing || !modelRequested) throw new UnpricedCapError(modelRequested, cap);
        const cheapest = cheapestOutcomeCost(request, pricing, { at });
        if (cheapest > cap) throw new CostCapExceededError(modelRequested, cap, cheapest);
        for (const fallback of fallbacks) {
          const most = fallback.pricing
            ? worstCaseCost(profiledRequest, fallback.pricing, worstCaseOptions)
            : undefined;
          if (most === undefined || most > cap) throw new FallbackOverCapError(fallback.model, cap, most);
        }
        const capped = withMaxPrice(request, cap, pricing, at, options.defaultMaxTokens);
        request = capped;
      }

      const remaining = options.balance?.remaining();
      if (remaining !== undefined && worstCase() > remaining)
        throw new BalanceTooLowError(remaining, worstCase());

      const id = input.id ?? ledger.newRequestId(startedAt);
      const who = {
        module: attribution.module,
        userId: attribution.userId ?? null,
        keyId: attribution.keyId ?? null,
      };
      let reservation: Reservation | undefined;
      if (await budgetIndex.covers(who)) {
        reservation = await ledger.budgets.reserve({ ...who, amount: worstCase(), requestId: id });
      }
      try {
        await ledger.begin({
          id,
          createdAt: startedAt,
          requestId: attribution.requestId ?? null,
          module: attribution.module,
          userId: attribution.userId ?? null,
          keyId: attribution.keyId ?? null,
          tags: attribution.tags ?? null,
          modelRequested: modelRequested ?? 'default',
          streamed: input.streamed,
        });
      } catch (error) {
        if (reservation?.recorded) await ledger.budgets.release(reservation.id).catch(() => undefined);
        throw error;
      }

      let finished: Promise<FinishedCall> | undefined;
      const finish = async (end: CallEnd): Promise<FinishedCall> => {
        const served = end.model ?? modelRequested;
        const priced = served === modelRequested && !end.provider ? pricing : pricingOf(served, end.provider);
        const servedPricing = priced instanceof Promise ? await priced : priced;
        const outcomePricing = servedPricing ?? pricing;
        const outcome = outcomeOf(
          { ...end, latencyMs: end.latencyMs ?? clock.now() - startedAt },
          {
            pricing: outcomePricing,
            at,
            // Counting walks every message: only for a model that charges per image.
            images: chargesPerImage(outcomePricing) ? countInputImages(profiledRequest) : 0,
          },
        );
        const completed = await ledger.complete(id, outcome);
        if (outcome.cost === null) {
          unknownCosts += 1;
          logger?.warn(
            { requestId: id, module: attribution.module, model: served, status: outcome.status },
            'cost unknown: recorded as unknown (never 0) and held against budgets at its worst case until reconciled',
          );
        }
        if (reservation?.recorded) {
          await ledger.budgets
            .settle(reservation.id, outcome.cost, { requestId: id })
            .catch((error: unknown) => {
              logger?.error({ requestId: id, err: String(error) }, 'budget reservation could not be settled');
            });
        }
        return {
          status: outcome.status,
          cost: outcome.cost,
          costSource: outcome.costSource ?? null,
          estimatedCost: outcome.estimatedCost ?? null,
          tokenCheck: completed.tokenCheck,
        };
      };

      return {
        id,
        request,
        attribution,
        startedAt,
        get worstCase() {
          return worstCase();
        },
        finish: (end) => {
          finished ??= finish(end);
          return finished;
        },
      };
    },
  };
}

/**
 * Passes the call's cost cap upstream as `provider.max_price` (USD per million tokens), so
 * OpenRouter never routes it to an endpoint priced above it. A price the caller set wins.
 */
function withMaxPrice<TRequest extends ChatRequestLike>(
  request: TRequest,
  cap: Money,
  pricing: Pricing,
  at: Date,
  defaultMaxTokens: number,
): TRequest {
  const provider = (request as { provider?: unknown }).provider;
  const existing =
    typeof provider === 'object' && provider !== null ? (provider as Record<string, unknown>) : {};
  if (existing.max_price !== undefined) return request;
  const maxPrice = maxPriceForProvider(cap, {
    promptTokens: estimatePromptTokens(request),
    completionTokens: maxOutputTokens(request, defaultMaxTokens),
    reference: pricing,
    at,
  });
  if (!maxPrice) return request;
  return { ...request, provider: { ...existing, max_price: maxPrice } };
}
