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
}

export interface MetricsSources {
  ledgerQueueDepth: () => number;
  /** Ledger writes acknowledged from the journal so far (a running count). */
  ledgerJournaledWrites: () => number;
  /** Age in seconds of the oldest completed row still waiting for reconciliation. */
  reconciliationLagSeconds: () => number | Promise<number>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Prometheus metrics of one gateway, in its own registry (no global state). */
export function createGatewayMetrics(sources: MetricsSources): GatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'tollgate_requests_total',
    help: 'Proxied calls by route, model, module and ledger status.',
    labelNames: ['route', 'model', 'module', 'status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'tollgate_errors_total',
    help: 'Errors answered to callers, by route and stable error code.',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'tollgate_tokens_total',
    help: 'Tokens by model, module and kind (prompt, completion).',
    labelNames: ['model', 'module', 'kind'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'tollgate_cost_usd_total',
    help: 'Known cost in USD by model and module (exact figures live in the ledger).',
    labelNames: ['model', 'module'],
    registers: [registry],
  });
  const unknownCost = new Counter({
    name: 'tollgate_unknown_cost_total',
    help: 'Calls whose cost is unknown (recorded as unknown, never 0).',
    labelNames: ['model', 'module'],
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
      requests.inc({ route: call.route, model: call.model, module: call.module, status: call.status });
      if (call.promptTokens > 0)
        tokens.inc({ model: call.model, module: call.module, kind: 'prompt' }, call.promptTokens);
      if (call.completionTokens > 0) {
        tokens.inc({ model: call.model, module: call.module, kind: 'completion' }, call.completionTokens);
      }
      if (call.costUsd === null) unknownCost.inc({ model: call.model, module: call.module });
      else if (call.costUsd > 0) cost.inc({ model: call.model, module: call.module }, call.costUsd);
      if (call.upstreamSeconds !== undefined)
        upstreamLatency.observe({ route: call.route }, call.upstreamSeconds);
      if (call.ttftSeconds !== undefined) ttft.observe({ route: call.route }, call.ttftSeconds);
    },
    recordError(route, code) {
      errors.inc({ route, code });
    },
  };
}
