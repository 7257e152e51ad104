import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** A finished proxied call: by route, model, module and outcome status. */
  recordCall(call: {
    route: string;
    model: string;
    module: string;
    status: string;
    promptTokens: number;
    completionTokens: number;
    costUsd: number | null;
    upstreamSeconds: number | undefined;
    ttftSeconds: number | undefined;
  }): void;
  /** An error answered to a caller, by stable code. */
  recordError(route: string, code: string): void;
  /**
   * A call answered after a retry whose earlier attempt OpenRouter may have billed (a broken
   * connection, a timeout): that attempt's cost is in no ledger row.
   */
  recordUnledgeredAttempt(route: string): void;
}

export interface MetricsSources {
  ledgerQueueDepth: () => number;
  /** Ledger writes acknowledged from the journal so far (a running count). */
  ledgerJournaledWrites: () => number;
  /** Age in seconds of the oldest completed row still waiting for reconciliation. */
  reconciliationLagSeconds: () => number | Promise<number>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

type CallCell = {
  route: string;
  model: string;
  module: string;
  status: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  unknownCost: number;
};

type CellCounter = 'calls' | 'promptTokens' | 'completionTokens' | 'costUsd' | 'unknownCost';

/**
 * Finished calls summed by route, model, module and status, and handed to the Prometheus counters
 * when they are scraped. prom-client hashes a label object on every increment, and a call made
 * four: more CPU than the rest of the metrics together, on the gateway's busiest path. Cells stay
 * once created (at zero), as the counters' own series do, so there are as many as series.
 */
class CallTally {
  readonly #cells = new Map<string, CallCell>();
  /** The cell of the previous call: most calls share their labels with the one before. */
  #last: CallCell | undefined;

  cell(route: string, model: string, module: string, status: string): CallCell {
    const last = this.#last;
    if (last?.route === route && last.model === model && last.module === module && last.status === status)
      return last;
    this.#last = this.#cellFor(route, model, module, status);
    return this.#last;
  }

  #cellFor(route: string, model: string, module: string, status: string): CallCell {
    const key = `${route}\u0000${model}\u0000${module}\u0000${status}`;
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = {
        route,
        model,
        module,
        status,
        calls: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        unknownCost: 0,
      };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  /** Hands one counter's sums to `add` (once per cell with something to add) and zeroes them. */
  drain(counter: CellCounter, add: (cell: CallCell, amount: number) => void): void {
    for (const cell of this.#cells.values()) {
      const amount = cell[counter];
      if (amount === 0) continue;
      cell[counter] = 0;
      add(cell, amount);
    }
  }
}

/** Prometheus metrics of one gateway, in its own registry (no global state). */
export function createGatewayMetrics(sources: MetricsSources): GatewayMetrics {
  const registry = new Registry();
  const tally = new CallTally();
  new Counter({
    name: 'tollgate_requests_total',
    help: 'Proxied calls by route, model, module and ledger status.',
    labelNames: ['route', 'model', 'module', 'status'],
    registers: [registry],
    collect() {
      tally.drain('calls', ({ route, model, module, status }, calls) =>
        this.inc({ route, model, module, status }, calls),
      );
    },
  });
  const errors = new Counter({
    name: 'tollgate_errors_total',
    help: 'Errors answered to callers, by route and stable error code.',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
  new Counter({
    name: 'tollgate_tokens_total',
    help: 'Tokens by model, module and kind (prompt, completion).',
    labelNames: ['model', 'module', 'kind'],
    registers: [registry],
    collect() {
      tally.drain('promptTokens', ({ model, module }, tokens) =>
        this.inc({ model, module, kind: 'prompt' }, tokens),
      );
      tally.drain('completionTokens', ({ model, module }, tokens) =>
        this.inc({ model, module, kind: 'completion' }, tokens),
      );
    },
  });
  new Counter({
    name: 'tollgate_cost_usd_total',
    help: 'Known cost in USD by model and module (exact figures live in the ledger).',
    labelNames: ['model', 'module'],
    registers: [registry],
    collect() {
      tally.drain('costUsd', ({ model, module }, usd) => this.inc({ model, module }, usd));
    },
  });
  new Counter({
    name: 'tollgate_unknown_cost_total',
    help: 'Calls whose cost is unknown (recorded as unknown, never 0).',
    labelNames: ['model', 'module'],
    registers: [registry],
    collect() {
      tally.drain('unknownCost', ({ model, module }, calls) => this.inc({ model, module }, calls));
    },
  });
  const unledgered = new Counter({
    name: 'tollgate_possibly_billed_retries_total',
    help: 'Calls answered after a retry whose earlier attempt OpenRouter may have billed (its cost is in no ledger row).',
    labelNames: ['route'],
    registers: [registry],
  });
  const upstreamLatency = new Histogram({
    name: 'tollgate_upstream_latency_seconds',
    help: 'Time from sending upstream to the end of the response.',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttft = new Histogram({
    name: 'tollgate_time_to_first_token_seconds',
    help: 'Time from the request to the first streamed chunk.',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'tollgate_ledger_queue_depth',
    help: 'Ledger writes waiting for their group commit.',
    registers: [registry],
    collect() {
      this.set(sources.ledgerQueueDepth());
    },
  });
  let journaledCounted = 0;
  new Counter({
    name: 'tollgate_ledger_journaled_writes_total',
    help: 'Ledger writes acknowledged from the journal before their commit (while few calls are in flight).',
    registers: [registry],
    collect() {
      const journaled = sources.ledgerJournaledWrites();
      if (journaled > journaledCounted) this.inc(journaled - journaledCounted);
      journaledCounted = journaled;
    },
  });
  new Gauge({
    name: 'tollgate_reconciliation_lag_seconds',
    help: 'Age of the oldest completed row not yet reconciled with GET /generation.',
    registers: [registry],
    async collect() {
      this.set(await sources.reconciliationLagSeconds());
    },
  });

  return {
    registry,
    recordCall(call) {
      const cell = tally.cell(call.route, call.model, call.module, call.status);
      cell.calls += 1;
      if (call.promptTokens > 0) cell.promptTokens += call.promptTokens;
      if (call.completionTokens > 0) cell.completionTokens += call.completionTokens;
      if (call.costUsd === null) cell.unknownCost += 1;
      else if (call.costUsd > 0) cell.costUsd += call.costUsd;
      if (call.upstreamSeconds !== undefined)
        upstreamLatency.observe({ route: call.route }, call.upstreamSeconds);
      if (call.ttftSeconds !== undefined) ttft.observe({ route: call.route }, call.ttftSeconds);
    },
    recordError(route, code) {
      errors.inc({ route, code });
    },
    recordUnledgeredAttempt(route) {
      unledgered.inc({ route });
    },
  };
}
