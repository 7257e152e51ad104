import type { TokenUsage } from './billing.ts';
import type { CatalogueEndpoint, CatalogueModel } from './catalogue.ts';
import { type Units, usdToNumber } from './decimal.ts';
import { startOfUtcDay, utcDate } from './periods.ts';

/**
 * Completed generations (served by /generation once their lag has passed) and the per-day
 * activity rollup (/activity). Both are bounded so a long benchmark cannot exhaust memory.
 */

/** One upstream attempt of a call (fallbacks and provider retries before the serving one). */
export interface ProviderAttempt {
  endpoint: CatalogueEndpoint;
  model: CatalogueModel;
  status: number;
  latencyMs: number;
}

/**
 * What is kept per generation: compact on purpose (benchmarks keep up to `historyLimit` of
 * them); the /generation body is rendered from it on demand.
 */
export interface GenerationRecord {
  id: string;
  userId: string;
  keyHash: string;
  startedAtMs: number;
  completedAtMs: number;
  /** /generation answers 404 before this instant. */
  readyAtMs: number;
  firstTokenAtMs: number | null;
  /** usage.cost, exactly. */
  charged: Units;
  /** List price (what a BYOK provider account paid). */
  upstream: Units;
  cacheDiscount: Units | null;
  byok: boolean;
  model: CatalogueModel;
  endpoint: CatalogueEndpoint;
  /** Attempts that failed before the serving endpoint answered (usually empty). */
  failedAttempts: readonly ProviderAttempt[];
  usage: TokenUsage;
  apiType: 'completions' | 'embeddings';
  finishReason: string | null;
  nativeFinishReason: string | null;
  streamed: boolean;
  cancelled: boolean;
  externalUser: string | null;
  sessionId: string | null;
  httpReferer: string | null;
  userAgent: string | null;
  origin: string | null;
}

export interface ActivityInput {
  userId: string;
  keyHash: string;
  atMs: number;
  model: string;
  permaslug: string;
  endpointId: string;
  providerName: string;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  charged: Units;
  byokUpstream: Units;
}

interface ActivityRow {
  date: string;
  model: string;
  permaslug: string;
  endpointId: string;
  providerName: string;
  userId: string;
  keyHash: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  usage: Units;
  byokUsage: Units;
}

export interface ActivityQuery {
  userId: string;
  nowMs: number;
  date?: string;
  keyHash?: string;
}

export interface GenerationStore {
  add(record: GenerationRecord): void;
  get(id: string): GenerationRecord | undefined;
  all(): IterableIterator<GenerationRecord>;
  recordActivity(input: ActivityInput): void;
  activity(query: ActivityQuery): Record<string, unknown>[];
}

const ACTIVITY_DAYS = 30;

export function createGenerationStore(limit: number): GenerationStore {
  const records = new Map<string, GenerationRecord>();
  const activity = new Map<string, ActivityRow>();
  // Formatting a date per call is measurable at benchmark rates; days change rarely.
  let cachedDay = -1;
  let cachedDate = '';
  const dateOf = (ms: number): string => {
    const day = startOfUtcDay(ms);
    if (day !== cachedDay) {
      cachedDay = day;
      cachedDate = utcDate(ms);
    }
    return cachedDate;
  };
  return {
    add(record) {
      records.set(record.id, record);
      if (records.size > limit) {
        const oldest = records.keys().next();
        if (oldest.done !== true) records.delete(oldest.value);
      }
    },
    get: (id) => records.get(id),
    all: () => records.values(),
    recordActivity(input) {
      const date = dateOf(input.atMs);
      const key = `${input.userId}\u0000${input.keyHash}\u0000${date}\u0000${input.model}\u0000${input.endpointId}`;
      let row = activity.get(key);
      if (row === undefined) {
        row = {
          date,
          model: input.model,
          permaslug: input.permaslug,
          endpointId: input.endpointId,
          providerName: input.providerName,
          userId: input.userId,
          keyHash: input.keyHash,
          requests: 0,
          promptTokens: 0,
          completionTokens: 0,
          reasoningTokens: 0,
          usage: 0n,
          byokUsage: 0n,
        };
        activity.set(key, row);
      }
      row.requests++;
      row.promptTokens += input.promptTokens;
      row.completionTokens += input.completionTokens;
      row.reasoningTokens += input.reasoningTokens;
      row.usage += input.charged;
      row.byokUsage += input.byokUpstream;
    },
    activity(query) {
      const oldest = utcDate(query.nowMs - (ACTIVITY_DAYS - 1) * 86_400_000);
      const merged = new Map<string, ActivityRow>();
      for (const row of activity.values()) {
        if (row.userId !== query.userId || row.date < oldest) continue;
        if (query.date !== undefined && row.date !== query.date) continue;
        if (query.keyHash !== undefined && row.keyHash !== query.keyHash) continue;
        const key = `${row.date}\u0000${row.model}\u0000${row.endpointId}`;
        const into = merged.get(key);
        if (into === undefined) {
          merged.set(key, { ...row });
          continue;
        }
        into.requests += row.requests;
        into.promptTokens += row.promptTokens;
        into.completionTokens += row.completionTokens;
        into.reasoningTokens += row.reasoningTokens;
        into.usage += row.usage;
        into.byokUsage += row.byokUsage;
      }
      return [...merged.values()]
        .sort((a, b) => (a.date === b.date ? a.model.localeCompare(b.model) : a.date < b.date ? 1 : -1))
        .map((row) => ({
          date: row.date,
          model: row.model,
          model_permaslug: row.permaslug,
          endpoint_id: row.endpointId,
          provider_name: row.providerName,
          requests: row.requests,
          prompt_tokens: row.promptTokens,
          completion_tokens: row.completionTokens,
          reasoning_tokens: row.reasoningTokens,
          usage: usdToNumber(row.usage),
          byok_usage_inference: usdToNumber(row.byokUsage),
        }));
    },
  };
}
