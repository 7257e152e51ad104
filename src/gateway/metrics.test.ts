import { describe, expect, it } from 'vitest';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';

type Call = Parameters<GatewayMetrics['recordCall']>[0];

function call(overrides: Partial<Call>): Call {
  return {
    route: 'chat',
    model: 'openai/gpt-4o-mini',
    module: 'ingest',
    status: 'ok',
    promptTokens: 10,
    completionTokens: 5,
    costUsd: 0.25,
    upstreamSeconds: 0.02,
    ttftSeconds: undefined,
    ...overrides,
  };
}

/** Every sample of the scrape, by its name and labels as printed. */
async function scrape(metrics: GatewayMetrics): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('gateway metrics', () => {
  it('counts calls, tokens and cost by their labels, each call once across scrapes', async () => {
    const metrics = createGatewayMetrics({
      ledgerQueueDepth: () => 3,
      ledgerJournaledWrites: () => 0,
      reconciliationLagSeconds: () => 0,
    });
    metrics.recordCall(call({}));
    metrics.recordCall(call({ promptTokens: 7, completionTokens: 0, costUsd: 0.5 }));
    metrics.recordCall(call({ module: 'review', status: 'error', completionTokens: 0, costUsd: 0 }));
    metrics.recordCall(call({ model: 'anthropic/claude', costUsd: null, ttftSeconds: 0.3 }));

    const first = await scrape(metrics);
    expect(
      first.get(
        'tollgate_requests_total{route="chat",model="openai/gpt-4o-mini",module="ingest",status="ok"}',
      ),
    ).toBe(2);
    expect(
      first.get(
        'tollgate_requests_total{route="chat",model="openai/gpt-4o-mini",module="review",status="error"}',
      ),
    ).toBe(1);
    expect(first.get('tollgate_tokens_total{model="openai/gpt-4o-mini",module="ingest",kind="prompt"}')).toBe(
      17,
    );
    expect(
      first.get('tollgate_tokens_total{model="openai/gpt-4o-mini",module="ingest",kind="completion"}'),
    ).toBe(5);
    expect(first.get('tollgate_tokens_total{model="openai/gpt-4o-mini",module="review",kind="prompt"}')).toBe(
      10,
    );
    // No completion tokens in module review: no such series, rather than a zero.
    expect(
      first.has('tollgate_tokens_total{model="openai/gpt-4o-mini",module="review",kind="completion"}'),
    ).toBe(false);
    expect(first.get('tollgate_cost_usd_total{model="openai/gpt-4o-mini",module="ingest"}')).toBe(0.75);
    expect(first.get('tollgate_unknown_cost_total{model="anthropic/claude",module="ingest"}')).toBe(1);
    expect(first.has('tollgate_cost_usd_total{model="anthropic/claude",module="ingest"}')).toBe(false);
    expect(first.get('tollgate_upstream_latency_seconds_count{route="chat"}')).toBe(4);
    expect(first.get('tollgate_time_to_first_token_seconds_count{route="chat"}')).toBe(1);
    expect(first.get('tollgate_ledger_queue_depth')).toBe(3);

    // A second scrape adds only what happened since the first.
    expect(await scrape(metrics)).toEqual(first);
    metrics.recordCall(call({ promptTokens: 1, completionTokens: 2, costUsd: 1 }));
    metrics.recordError('chat', 'budget_exceeded');
    const second = await scrape(metrics);
    expect(
      second.get(
        'tollgate_requests_total{route="chat",model="openai/gpt-4o-mini",module="ingest",status="ok"}',
      ),
    ).toBe(3);
    expect(
      second.get('tollgate_tokens_total{model="openai/gpt-4o-mini",module="ingest",kind="prompt"}'),
    ).toBe(18);
    expect(
      second.get('tollgate_tokens_total{model="openai/gpt-4o-mini",module="ingest",kind="completion"}'),
    ).toBe(7);
    expect(second.get('tollgate_cost_usd_total{model="openai/gpt-4o-mini",module="ingest"}')).toBe(1.75);
    expect(second.get('tollgate_unknown_cost_total{model="anthropic/claude",module="ingest"}')).toBe(1);
    expect(second.get('tollgate_errors_total{route="chat",code="budget_exceeded"}')).toBe(1);
  });
});
