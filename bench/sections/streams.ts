import {
  chatBody,
  interleaved,
  type Target,
  type TargetName,
  type Timing,
  timedRequest,
} from '../http-probe.ts';
import type { Plan } from '../options.ts';
import { compared, type Metric } from '../report.ts';
import type { Stand } from '../stand.ts';
import { percentile } from '../stats.ts';

/**
 * Streams one at a time: the time to the first chunk (what a chat UI shows as responsiveness),
 * and whether a paced stream arrives paced as it was sent, chunk for chunk, through each proxy.
 */

/** A JSON answer long enough to fill 64 chunks of 4 tokens (max_tokens cuts it at 256 tokens). */
export function longStreamBody(maxTokens: number): string {
  const body = JSON.parse(chatBody({ stream: true, maxTokens })) as Record<string, unknown>;
  body.response_format = {
    type: 'json_schema',
    json_schema: {
      name: 'lines',
      schema: {
        type: 'object',
        properties: { lines: { type: 'array', minItems: 400, items: { type: 'string' } } },
        required: ['lines'],
      },
    },
  };
  return JSON.stringify(body);
}

export async function measureStreams(
  stand: Stand,
  plan: Plan,
  log: (line: string) => void,
): Promise<Metric[]> {
  const targets: Target[] = [stand.direct, stand.baseline, stand.gateway];
  const metrics: Metric[] = [];

  log(`streams: time to first chunk, ${plan.ttfcSamples} streamed calls per target`);
  const body = chatBody({ stream: true });
  const once = (target: Target, pool: Parameters<typeof timedRequest>[0]) =>
    timedRequest(pool, target, { body });
  await interleaved(targets, Math.ceil(plan.ttfcSamples / 5), once);
  const ttfc = await interleaved(targets, plan.ttfcSamples, once);
  const first = (name: TargetName) => (ttfc.get(name) ?? []).map((t) => t.firstChunkMs);
  const floor = percentile(first('direct'), 50);
  metrics.push(
    compared(
      {
        section: 'streams c=1',
        name: 'added time to first chunk p50',
        unit: 'ms',
        target: '≤ +0.5 ms vs baseline',
        note: `direct p50 ${floor.toFixed(3)} ms`,
      },
      percentile(first('gateway'), 50) - floor,
      percentile(first('baseline'), 50) - floor,
      'delta',
      (delta) => delta <= 0.5,
    ),
  );

  log(`streams: ${plan.gapStreams} paced 64-chunk streams per target, ${plan.gapFrameMs} ms apart`);
  const paced = await interleaved(targets, plan.gapStreams, (target, pool) =>
    timedRequest(pool, target, {
      body: longStreamBody(256),
      headers: { 'x-simulator-fault': `slow-stream;ms=${plan.gapFrameMs}` },
      recordChunks: true,
    }),
  );
  const gaps = (name: TargetName) =>
    (paced.get(name) ?? []).flatMap((t: Timing) =>
      t.chunkMs.slice(1).map((at, i) => at - (t.chunkMs[i] ?? at)),
    );
  const chunks = (name: TargetName) => {
    const list = paced.get(name) ?? [];
    return list.reduce((sum, t) => sum + t.chunkMs.length, 0) / Math.max(1, list.length);
  };
  const section = `streams paced ${plan.gapFrameMs} ms`;
  for (const p of [50, 99]) {
    const direct = percentile(gaps('direct'), p);
    const gateway = percentile(gaps('gateway'), p) - direct;
    metrics.push(
      compared(
        {
          section,
          name: `inter-chunk gap p${p}, added vs direct`,
          unit: 'ms',
          target: p === 50 ? 'unchanged (within ±1 ms)' : '–',
          note: p === 50 ? `direct p50 gap ${direct.toFixed(3)} ms` : undefined,
        },
        gateway,
        percentile(gaps('baseline'), p) - direct,
        'delta',
        p === 50 ? () => Math.abs(gateway) <= 1 : null,
      ),
    );
  }
  const directChunks = chunks('direct');
  metrics.push(
    compared(
      {
        section,
        name: 'chunks received per stream',
        unit: '',
        target: 'none merged (≥ direct)',
        note: `direct ${directChunks} chunks per stream`,
      },
      chunks('gateway'),
      chunks('baseline'),
      'delta',
      // Buffering would merge chunks: fewer is the failure. The gateway sends [DONE] apart, once
      // the ledger row is committed, and the simulator's first two writes sometimes coalesce on
      // the direct path, so one or two chunks more is the same pacing.
      () => chunks('gateway') >= directChunks - 0.5,
    ),
  );
  return metrics;
}
