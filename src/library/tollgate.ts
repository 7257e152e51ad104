import type { Dispatcher } from 'undici';
import {
  AbortError,
  type ChatCompletionCreateParams,
  checkRequestOptions,
  createOpenRouterClient,
  type OpenRouterClient,
  type RequestOptions,
} from '../client/index.ts';
import {
  type ConfigOverrides,
  loadConfig,
  type ModuleProfile,
  type TollgateConfig,
} from '../config/index.ts';
import {
  type Ledger,
  type LedgerLogger,
  type LedgerVsBillReport,
  openLedger,
  type ReconcileRunSummary,
  type Reconciler,
  silentLogger,
  type TagValue,
} from '../ledger/index.ts';
import { type Attribution, createMeter, type Meter } from '../metering/index.ts';
import { createModelCatalog, type ModelCatalog } from '../pricing/index.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { type Money, moneyFromUsd } from '../shared/money.ts';
import { type Balance, BalanceWatcher } from './balance-watcher.ts';
import { scheduleBodyPurge } from './body-retention.ts';
import { endOfCompletion, endOfFailure } from './call-ends.ts';
import { type ChatResult, resultFromCompletion } from './chat-result.ts';
import { FilteredError, GenerationError } from './errors.ts';
import { type JsonRequest, type JsonResult, runStructured } from './structured-output.ts';
import { TollgateStream } from './tollgate-stream.ts';
import { generationFetcher, syncModuleBudgets } from './wiring.ts';

/** The ledger against OpenRouter's bill: per day (and model), and in total against the key's usage. */
export interface BillComparison {
  daily: LedgerVsBillReport;
  key: { ledger: Money; usage: Money; difference: Money };
}

/** A chat request: every OpenRouter field, plus attribution and tollgate's own controls. */
export type ChatRequest = ChatCompletionCreateParams & {
  /** The pipeline stage this call belongs to (its profile applies). Default `default`. */
  module?: string;
  /** Free-form labels kept on the ledger row. */
  tags?: Record<string, TagValue>;
  /** Per-call cost cap in USD: refused before sending when even the prompt alone would exceed it. */
  maxCostUsd?: string | number;
  /** Finish reasons to return as results instead of throwing FilteredError / GenerationError. */
  acceptFinishReasons?: ReadonlyArray<'content_filter' | 'error'>;
  signal?: AbortSignal;
  timeoutMs?: number;
};

export interface TollgateOptions {
  /** OpenRouter API key; default OPENROUTER_API_KEY (environment or .env). */
  apiKey?: string;
  /** Default OPENROUTER_BASE_URL, else https://openrouter.ai/api/v1. */
  baseUrl?: string;
  /** Ledger location; default TOLLGATE_DB, else ./tollgate.db. `postgres://…` for PostgreSQL. */
  db?: string;
  /** Pipeline module profiles (merged over tollgate.config.json's). */
  modules?: Record<string, ModuleProfile>;
  defaultMaxTokens?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** Reconcile rows against GET /generation in the background (default true). */
  reconcile?: boolean;
  /** Refuse calls locally when the key's remaining limit cannot cover their worst case (default true). */
  checkBalance?: boolean;
  lowBalanceWarningUsd?: string;
  /** Keep request and response bodies (opt-in, in a table of their own, purged after the retention). */
  storeBodies?: { enabled: boolean; retentionDays?: number };
  /** Where to look for tollgate.config.json and .env; default the current directory. */
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  logger?: LedgerLogger;
  dispatcher?: Dispatcher;
  /** How long the model catalogue (prices) is trusted before it is re-read. */
  catalogTtlMs?: number;
  /** Options passed to the ledger (tests: group-commit window, heartbeat…). */
  ledger?: { reconcileAfterMs?: number | null; heartbeatMs?: number; spoolDir?: string | null };
}

const TOLLGATE_FIELDS = [
  'module',
  'tags',
  'maxCostUsd',
  'acceptFinishReasons',
  'signal',
  'timeoutMs',
] as const;

/**
 * The metered library: send content to a model, get the result, and know what it cost. Every
 * call writes one ledger row, committed before the call returns.
 */
export class Tollgate {
  readonly config: Readonly<TollgateConfig>;
  readonly client: OpenRouterClient;
  readonly ledger: Ledger;
  readonly catalog: ModelCatalog;
  readonly #meter: Meter;
  readonly #balance: BalanceWatcher | undefined;
  readonly #reconciler: Reconciler;
  readonly #purgeTimer: NodeJS.Timeout | undefined;

  private constructor(parts: {
    config: Readonly<TollgateConfig>;
    client: OpenRouterClient;
    ledger: Ledger;
    catalog: ModelCatalog;
    meter: Meter;
    balance: BalanceWatcher | undefined;
    reconciler: Reconciler;
    purgeTimer: NodeJS.Timeout | undefined;
  }) {
    this.config = parts.config;
    this.client = parts.client;
    this.ledger = parts.ledger;
    this.catalog = parts.catalog;
    this.#meter = parts.meter;
    this.#balance = parts.balance;
    this.#reconciler = parts.reconciler;
    this.#purgeTimer = parts.purgeTimer;
  }

  /** Reads the configuration (options > environment > .env > tollgate.config.json), opens the ledger. */
  static async open(options: TollgateOptions = {}): Promise<Tollgate> {
    const overrides: ConfigOverrides = {
      openrouter: {
        apiKey: options.apiKey,
        baseUrl: options.baseUrl,
        timeoutMs: options.timeoutMs,
        maxRetries: options.maxRetries,
      },
      db: { url: options.db },
      defaultMaxTokens: options.defaultMaxTokens,
      lowBalanceWarningUsd: options.lowBalanceWarningUsd,
      modules: options.modules,
      storeBodies: options.storeBodies,
    };
    const config = loadConfig({ overrides, env: options.env ?? process.env, cwd: options.cwd });
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const client = createOpenRouterClient({
      apiKey: config.openrouter.apiKey,
      baseUrl: config.openrouter.baseUrl,
      timeoutMs: config.openrouter.timeoutMs,
      maxRetries: config.openrouter.maxRetries,
      dispatcher: options.dispatcher,
      clock,
    });
    const ledger = await openLedger({
      url: config.db.url,
      clock,
      logger,
      sqlite: { synchronous: config.db.sqliteSync },
      ...options.ledger,
    });
    await syncModuleBudgets(ledger, config.modules);
    const catalog = createModelCatalog({
      // Every output modality (OpenRouter lists text models only by default): embeddings are priced.
      listModels: async () => (await client.models.list({ output_modalities: 'all' })).data,
      clock,
      ttlMs: options.catalogTtlMs ?? 10 * 60_000,
    });
    const balance =
      options.checkBalance === false || !config.openrouter.apiKey
        ? undefined
        : new BalanceWatcher({
            client,
            clock,
            logger,
            lowBalanceWarning:
              config.lowBalanceWarningUsd === undefined
                ? undefined
                : moneyFromUsd(config.lowBalanceWarningUsd),
          });
    const meter = createMeter({
      ledger,
      catalog,
      clock,
      logger,
      defaultMaxTokens: config.defaultMaxTokens,
      profiles: config.modules,
      balance,
    });
    const reconciler = ledger.reconciler({ fetchGeneration: generationFetcher(client) });
    if (options.reconcile !== false) reconciler.start();
    const purgeTimer = config.storeBodies.enabled
      ? scheduleBodyPurge(ledger, config.storeBodies.retentionDays, logger)
      : undefined;
    return new Tollgate({ config, client, ledger, catalog, meter, balance, reconciler, purgeTimer });
  }

  /** One chat completion, metered. Throws FilteredError / GenerationError on those finish reasons unless accepted. */
  async chat(input: ChatRequest): Promise<ChatResult> {
    const { request, attribution, maxCostUsd, requestOptions, check } = this.#split(input);
    throwIfAbortedBeforeSending(requestOptions.signal);
    // A call the client would refuse unsent is refused before it has a row or a reservation.
    checkRequestOptions(requestOptions);
    const call = await this.#meter.admit({ request, attribution, streamed: false, maxCostUsd });
    let response: Awaited<ReturnType<OpenRouterClient['chat']['create']>>;
    try {
      response = await this.client.chat.create(call.request, requestOptions);
    } catch (error) {
      await this.#record(call.finish(endOfFailure(error, false)), call.worstCase);
      throw error;
    }
    const finished = await this.#record(call.finish(endOfCompletion(response)), call.worstCase);
    const result = resultFromCompletion(call.id, response, finished);
    this.#keepBodies(call.id, call.request, response.body);
    check(result);
    return result;
  }

  /** A streamed chat completion: iterate for parts; `result` has usage and cost once it ends. */
  stream(input: ChatRequest): TollgateStream {
    const { request, attribution, maxCostUsd, requestOptions, check } = this.#split(input);
    const keepAndCheck = (result: ChatResult) => {
      this.#keepBodies(result.id, request, { text: result.text, toolCalls: result.toolCalls });
      check(result);
    };
    return new TollgateStream(async (signal) => {
      throwIfAbortedBeforeSending(signal, requestOptions.signal);
      checkRequestOptions(requestOptions);
      const call = await this.#meter.admit({ request, attribution, streamed: true, maxCostUsd });
      const signals = [signal, requestOptions.signal].filter((s): s is AbortSignal => s !== undefined);
      try {
        const upstream = await this.client.chat.stream(call.request, {
          ...requestOptions,
          signal: AbortSignal.any(signals),
        });
        // So an interrupted stream can still be re-costed from GET /generation.
        const announcedId = upstream.headers['x-generation-id'];
        if (announcedId) this.ledger.attachGenerationId(call.id, announcedId).catch(() => undefined);
        const tracked = {
          ...call,
          finish: (end: Parameters<typeof call.finish>[0]) => this.#record(call.finish(end), call.worstCase),
        };
        return { call: tracked, upstream };
      } catch (error) {
        await this.#record(call.finish(endOfFailure(error, signal.aborted)), call.worstCase);
        throw error;
      }
    }, keepAndCheck);
  }

  /**
   * The most a call could cost before it is sent (its module profile, default cap and the model's
   * prices), as budgets reserve it; `undefined` when the model's price is unknown.
   */
  async worstCase(input: ChatRequest): Promise<Money | undefined> {
    const { request, attribution } = this.#split(input);
    return await this.#meter.worstCase(request, attribution.module);
  }

  /** Structured output: the schema is sent as a strict json_schema; the answer is parsed and validated. */
  async json<T>(input: JsonRequest<T, ChatRequest>): Promise<JsonResult<T>> {
    return await runStructured<T, ChatRequest>(input, (request) => this.chat(request));
  }

  /**
   * The ledger against OpenRouter's own figures: daily spend against `/activity` (per model with
   * `byModel`), and the ledger's total against the key's usage from `/key`.
   */
  async compareWithBill(options: { byModel?: boolean } = {}): Promise<BillComparison> {
    const [activity, key] = await Promise.all([this.client.activity.list(), this.client.key.get()]);
    const bill = activity.data.map((row) => ({
      date: row.date,
      model: row.model ?? null,
      usage: row.usage ?? 0,
      requests: row.requests ?? null,
    }));
    const daily = await this.ledger.compareWithBill(bill, options);
    const [all] = (await this.ledger.reports.spend({ groupBy: [] })).rows;
    const ledgerTotal = all?.spend ?? 0n;
    const keyUsage = moneyFromUsd(key.data.usage ?? 0);
    return { daily, key: { ledger: ledgerTotal, usage: keyUsage, difference: ledgerTotal - keyUsage } };
  }

  /** What is left to spend on the OpenRouter key and account (read now). */
  async balance(): Promise<Balance> {
    const watcher = this.#balance ?? new BalanceWatcher({ client: this.client, clock: systemClock });
    return await watcher.refresh();
  }

  /**
   * Reconciles due rows with GET /generation now, repeating while rows keep coming due (the
   * background reconciler does the same on its own schedule).
   */
  async reconcileNow(options: { rounds?: number } = {}): Promise<ReconcileRunSummary[]> {
    const runs: ReconcileRunSummary[] = [];
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      const run = await this.#reconciler.runOnce();
      runs.push(run);
      if (run.claimed === 0) break;
    }
    return runs;
  }

  /** Stops background work and flushes every ledger write. */
  async close(): Promise<void> {
    clearInterval(this.#purgeTimer);
    await this.#reconciler.stop();
    this.catalog.close();
    await this.ledger.close();
    await this.client.close();
  }

  /** Opt-in (storeBodies in the config): request and answer, kept apart from the narrow row. */
  #keepBodies(id: string, request: unknown, response: unknown): void {
    if (!this.config.storeBodies.enabled) return;
    this.ledger
      .saveBodies(id, { request: JSON.stringify(request), response: JSON.stringify(response) })
      .catch(() => undefined);
  }

  async #record<T extends { cost: bigint | null }>(finished: Promise<T>, worstCase: bigint): Promise<T> {
    const result = await finished;
    this.#balance?.recordSpend(result.cost ?? worstCase);
    return result;
  }

  #split(input: ChatRequest) {
    const request: Record<string, unknown> = { ...input };
    for (const field of TOLLGATE_FIELDS) delete request[field];
    const attribution: Attribution = {
      module: input.module ?? 'default',
      userId: typeof input.user === 'string' ? input.user : null,
      tags: input.tags ?? null,
    };
    const accept = new Set(input.acceptFinishReasons ?? []);
    const requestOptions: RequestOptions = { signal: input.signal, timeoutMs: input.timeoutMs };
    return {
      request: request as ChatCompletionCreateParams,
      attribution,
      maxCostUsd: input.maxCostUsd === undefined ? undefined : String(input.maxCostUsd),
      requestOptions,
      check: (result: ChatResult) => {
        if (result.finishReason === 'content_filter' && !accept.has('content_filter'))
          throw new FilteredError(result);
        if (result.finishReason === 'error' && !accept.has('error')) throw new GenerationError(result);
      },
    };
  }
}

/**
 * A call whose caller gave up before it was sent is not made: no ledger row, no reservation. (Once
 * admitted, an abort is recorded as `cancelled`, since OpenRouter may already be at work.)
 */
function throwIfAbortedBeforeSending(...signals: ReadonlyArray<AbortSignal | undefined>): void {
  if (signals.some((signal) => signal?.aborted)) throw new AbortError('Request aborted before it was sent');
}
