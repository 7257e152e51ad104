/**
 * The model catalogue, cached: /models fetched through a function parameter, kept for `ttlMs`,
 * then refreshed in the background while the old catalogue keeps answering (stale-while-
 * revalidate). One refresh at a time; a failed (or empty) refresh keeps the last good catalogue.
 * An unknown model is `undefined`, so the caller records its cost as unknown, never as 0.
 */
import type { Clock } from '../shared/clock.ts';
import type { EndpointInfo, ModelArchitecture, ModelInfo } from './model-info.ts';
import { type Pricing, parsePricing } from './pricing-schema.ts';
import { createSwrCell, type SwrCell, type SwrCellStatus } from './swr-cell.ts';

export interface CatalogModel {
  /** The catalogue id that answered (the base id for a resolved variant). */
  readonly id: string;
  /** The id asked for. */
  readonly requestedId: string;
  /** A `:variant` suffix resolved to its base model's entry ("nitro", "online", "floor"…). */
  readonly variant?: string;
  /** `undefined` when the catalogue's pricing could not be read (see pricingError). */
  readonly pricing: Pricing | undefined;
  readonly pricingError?: string;
  readonly contextLength: number | null;
  /** top_provider.max_completion_tokens: a ceiling on output tokens, when known. */
  readonly maxCompletionTokens: number | null;
  readonly architecture?: ModelArchitecture | null;
}

export interface PriceQuote {
  readonly modelId: string;
  readonly pricing: Pricing;
  /** 'endpoint': the named provider's own price; 'model': the model-level (top provider) price. */
  readonly source: 'endpoint' | 'model';
  /** The endpoint's provider name, for source 'endpoint'. */
  readonly provider?: string;
}

export interface ModelCatalogOptions {
  readonly listModels: (signal?: AbortSignal) => Promise<readonly ModelInfo[]>;
  readonly clock: Pick<Clock, 'now'>;
  readonly ttlMs: number;
  /** After a failed load, wait this long before a read starts another; default min(ttlMs, 30 s). */
  readonly retryMs?: number;
  /** /models/{id}/endpoints, fetched lazily per model by `priceFor` with a provider name. */
  readonly listEndpoints?: (modelId: string, signal?: AbortSignal) => Promise<readonly EndpointInfo[]>;
  /** Default: ttlMs. */
  readonly endpointsTtlMs?: number;
}

export interface ModelCatalogStatus extends SwrCellStatus {
  readonly models: number;
}

export interface ModelCatalog {
  /** The model (loading the catalogue on first use); `undefined` when unknown or unavailable. */
  get(modelId: string): Promise<CatalogModel | undefined>;
  /** Every model as the catalogue source sent it (loading on first use); empty when unavailable. */
  list(): Promise<readonly ModelInfo[]>;
  /** Like get, but never waits: `undefined` until the catalogue is loaded. */
  peek(modelId: string): CatalogModel | undefined;
  /** Pricing for an estimate: the provider's endpoint price when known, else the model's. */
  priceFor(modelId: string, providerName?: string): Promise<PriceQuote | undefined>;
  /**
   * What `priceFor` would answer, without waiting: `NOT_LOADED` when it would have to wait for
   * the catalogue or for the provider's endpoints. Every metered call prices twice (its estimate
   * and its cost); this keeps both off the promise machinery once the catalogue is loaded.
   */
  quoteNow(modelId: string, providerName?: string): PriceQuote | undefined | typeof NOT_LOADED;
  /** Per-endpoint pricing obtained elsewhere (/models/{id}/endpoints). */
  setEndpoints(modelId: string, endpoints: readonly EndpointInfo[]): void;
  /** Reloads now (joining a reload in flight); rejects when it fails, keeping the last good one. */
  refresh(): Promise<void>;
  status(): ModelCatalogStatus;
  close(): void;
}

/** `quoteNow`'s answer when only `priceFor` can tell, after a load. */
export const NOT_LOADED: unique symbol = Symbol('not loaded');

type Entry = Omit<CatalogModel, 'requestedId' | 'variant'>;
type Index = ReadonlyMap<string, Entry>;

interface EndpointEntry {
  readonly providerName: string;
  readonly keys: readonly string[];
  readonly pricing: Pricing | undefined;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function toEntry(model: ModelInfo): Entry {
  const common = {
    id: model.id,
    contextLength: finiteOrNull(model.context_length ?? model.top_provider?.context_length),
    maxCompletionTokens: finiteOrNull(model.top_provider?.max_completion_tokens),
    architecture: model.architecture,
  };
  try {
    return { ...common, pricing: parsePricing(model.pricing, model.id) };
  } catch (error) {
    return {
      ...common,
      pricing: undefined,
      pricingError: error instanceof Error ? error.message : String(error),
    };
  }
}

function buildIndex(models: readonly ModelInfo[]): Index {
  const index = new Map<string, Entry>();
  const slugs: [string, Entry][] = [];
  for (const model of models) {
    if (typeof model?.id !== 'string' || model.id === '') continue;
    const entry = toEntry(model);
    index.set(model.id, entry);
    if (typeof model.canonical_slug === 'string' && model.canonical_slug)
      slugs.push([model.canonical_slug, entry]);
  }
  for (const [slug, entry] of slugs) if (!index.has(slug)) index.set(slug, entry);
  return index;
}

/**
 * A `:variant` suffix and the base id it falls back to, except `:free`, which is a model of its
 * own (priced 0): a missing `:free` entry is unknown, not the paid price.
 */
function splitVariant(modelId: string): [base: string, variant: string] | undefined {
  const match = /^(.+):([A-Za-z0-9._-]+)$/.exec(modelId);
  if (!match?.[1] || !match[2] || match[2] === 'free') return undefined;
  return [match[1], match[2]];
}

/** Exact id first, otherwise the base model of a `:variant` (see splitVariant). */
function lookup(index: Index, modelId: string): CatalogModel | undefined {
  const exact = index.get(modelId);
  if (exact) return { ...exact, requestedId: modelId };
  const split = splitVariant(modelId);
  const base = split && index.get(split[0]);
  return split && base ? { ...base, requestedId: modelId, variant: split[1] } : undefined;
}

/** The catalogue entry answering for `modelId`, as `lookup` finds it, without copying it. */
function entryFor(index: Index, modelId: string): Entry | undefined {
  const exact = index.get(modelId);
  if (exact) return exact;
  const split = splitVariant(modelId);
  return split && index.get(split[0]);
}

function providerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function toEndpointEntries(endpoints: readonly EndpointInfo[], modelId: string): EndpointEntry[] {
  return endpoints.flatMap((endpoint) => {
    const names = [endpoint.provider_name, endpoint.tag, endpoint.tag?.split('/')[0]].filter(
      (name): name is string => typeof name === 'string' && name !== '',
    );
    const providerName = names[0];
    if (providerName === undefined) return [];
    let pricing: Pricing | undefined;
    try {
      pricing = parsePricing(endpoint.pricing, `${modelId} via ${providerName}`);
    } catch {
      pricing = undefined;
    }
    return [{ providerName, keys: names.map(providerKey), pricing }];
  });
}

export function createModelCatalog(options: ModelCatalogOptions): ModelCatalog {
  const { clock, listEndpoints } = options;
  // The last good list as it came, for callers that serve the catalogue itself (the gateway's /models).
  let lastModels: readonly ModelInfo[] = [];
  const catalogue: SwrCell<Index> = createSwrCell({
    clock,
    ttlMs: options.ttlMs,
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    load: async (signal) => {
      const models = await options.listModels(signal);
      if (!Array.isArray(models) || models.length === 0)
        throw new Error('the model catalogue came back empty');
      const index = buildIndex(models);
      lastModels = models;
      return index;
    },
  });
  const fetchedEndpoints = new Map<string, SwrCell<EndpointEntry[]>>();
  const givenEndpoints = new Map<string, EndpointEntry[]>();
  const endpointsTtlMs = options.endpointsTtlMs ?? options.ttlMs;

  const endpointsFor = async (modelId: string): Promise<readonly EndpointEntry[]> => {
    if (!listEndpoints) return givenEndpoints.get(modelId) ?? [];
    let cell = fetchedEndpoints.get(modelId);
    if (!cell) {
      cell = createSwrCell({
        clock,
        ttlMs: endpointsTtlMs,
        ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
        load: async (signal) => toEndpointEntries(await listEndpoints(modelId, signal), modelId),
      });
      const given = givenEndpoints.get(modelId);
      if (given) cell.set(given);
      fetchedEndpoints.set(modelId, cell);
    }
    return (await cell.get()) ?? givenEndpoints.get(modelId) ?? [];
  };

  /** Quotes made once per entry and endpoint: the same few answer nearly every call. */
  const modelQuotes = new WeakMap<Entry, PriceQuote>();
  const endpointQuotes = new WeakMap<EndpointEntry, PriceQuote>();
  const quoteFrom = (
    model: Entry,
    endpoints: readonly EndpointEntry[] | undefined,
    providerName: string | undefined,
  ): PriceQuote | undefined => {
    if (providerName && endpoints) {
      const key = providerKey(providerName);
      const endpoint = endpoints.find((entry) => entry.keys.includes(key));
      if (endpoint?.pricing) {
        let quote = endpointQuotes.get(endpoint);
        if (!quote) {
          quote = {
            modelId: model.id,
            pricing: endpoint.pricing,
            source: 'endpoint',
            provider: endpoint.providerName,
          };
          endpointQuotes.set(endpoint, quote);
        }
        return quote;
      }
    }
    if (!model.pricing) return undefined;
    let quote = modelQuotes.get(model);
    if (!quote) {
      quote = { modelId: model.id, pricing: model.pricing, source: 'model' };
      modelQuotes.set(model, quote);
    }
    return quote;
  };
  /** The endpoints `endpointsFor` would answer now, or NOT_LOADED when it would wait. */
  const endpointsNow = (modelId: string): readonly EndpointEntry[] | typeof NOT_LOADED => {
    if (!listEndpoints) return givenEndpoints.get(modelId) ?? [];
    const cell = fetchedEndpoints.get(modelId);
    if (cell?.current() === undefined) return NOT_LOADED;
    return cell.peek() ?? NOT_LOADED;
  };
  const quoteNow = (modelId: string, providerName?: string): PriceQuote | undefined | typeof NOT_LOADED => {
    if (catalogue.current() === undefined) return NOT_LOADED;
    const index = catalogue.peek();
    const model = index && entryFor(index, modelId);
    if (!model) return undefined;
    if (!providerName) return quoteFrom(model, undefined, undefined);
    const endpoints = endpointsNow(model.id);
    return endpoints === NOT_LOADED ? NOT_LOADED : quoteFrom(model, endpoints, providerName);
  };

  return {
    async list() {
      await catalogue.get();
      return lastModels;
    },
    async get(modelId) {
      const index = await catalogue.get();
      return index && lookup(index, modelId);
    },
    peek(modelId) {
      const index = catalogue.peek();
      return index && lookup(index, modelId);
    },
    async priceFor(modelId, providerName) {
      const now = quoteNow(modelId, providerName);
      if (now !== NOT_LOADED) return now;
      const index = await catalogue.get();
      const model = index && entryFor(index, modelId);
      if (!model) return undefined;
      return quoteFrom(model, providerName ? await endpointsFor(model.id) : undefined, providerName);
    },
    quoteNow,
    setEndpoints(modelId, endpoints) {
      const entries = toEndpointEntries(endpoints, modelId);
      givenEndpoints.set(modelId, entries);
      fetchedEndpoints.get(modelId)?.set(entries);
    },
    async refresh() {
      await catalogue.refresh();
    },
    status() {
      const index = catalogue.current();
      return { ...catalogue.status(), models: index ? new Set(index.values()).size : 0 };
    },
    close() {
      catalogue.close();
      for (const cell of fetchedEndpoints.values()) cell.close();
    },
  };
}
