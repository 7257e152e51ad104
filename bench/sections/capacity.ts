import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { CHAT_PATH, chatBody, requestHeaders, type Target, timedRequest } from '../http-probe.ts';
import type { Plan } from '../options.ts';
import { rssMb } from '../processes.ts';
import { compared, type Metric } from '../report.ts';
import type { Stand } from '../stand.ts';
import { percentile } from '../stats.ts';
import { longStreamBody } from './streams.ts';

/**
 * Concurrent streams: hold N long paced streams open through a proxy (one chunk a second each,
 * far longer than the step lasts), then probe it with fresh streamed calls, alternating with
 * direct calls, once the streams have been held a moment (SETTLE_MS), and compare their
 * first-chunk times. A step passes when all N streams opened and the probes' p99 added first-chunk
 * time stays under 10 ms; a target that cannot open all N streams is not pushed further. The
 * proxy's RSS is read while the N streams are held.
 */

const HELD_FRAME_MS = 1000;
/**
 * How long the streams are held before the probes start. Opening 2,000 streams leaves their state
 * in the young generation, and the collections that promote it next (20–50 ms each here, for either
 * proxy) would land on the first probes: that measures having just opened the streams, not holding
 * them. Measured on the gateway at 2,000 streams, three runs each: p99 added first chunk 7.8–9.6 ms
 * with this pause, 8.9–45 ms without.
 */
const SETTLE_MS = 2000;
const OPEN_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 3_000;
const LIMIT_MS = 10;

interface StepResult {
  streams: number;
  opened: number;
  p99AddedMs: number;
  rssMb: number;
  rssAnonMb: number;
  idleRssMb: number;
  passed: boolean;
}

async function holdStreams(target: Target, count: number, signal: AbortSignal) {
  const pool = new Pool(target.origin, { connections: count + 16 });
  const firstChunks: number[] = [];
  const body = longStreamBody(1024);
  const headers = requestHeaders({ 'x-simulator-fault': `slow-stream;ms=${HELD_FRAME_MS}` });
  const hold = async () => {
    const startedAt = performance.now();
    try {
      const res = await pool.request({ path: CHAT_PATH, method: 'POST', headers, body, signal });
      let first = true;
      // Keep reading until aborted, as a real client would.
      for await (const _chunk of res.body) {
        if (first && res.statusCode === 200) firstChunks.push(performance.now() - startedAt);
        first = false;
      }
    } catch {
      // Aborted at the end of the step, or refused: counted through firstChunks.
    }
  };
  const running: Promise<void>[] = [];
  // Open in batches so the step measures holding streams, not a SYN flood.
  for (let opened = 0; opened < count && !signal.aborted; opened += 100) {
    for (let i = opened; i < Math.min(count, opened + 100); i++) running.push(hold());
    await sleep(20);
  }
  return { pool, firstChunks, running };
}

async function probe(stand: Stand, target: Target, probes: number): Promise<number> {
  const pools = new Map([
    ['direct', new Pool(stand.direct.origin, { connections: 1 })],
    [target.name, new Pool(target.origin, { connections: 1 })],
  ]);
  const body = chatBody({ stream: true });
  const samples = { direct: [] as number[], target: [] as number[] };
  try {
    for (let i = 0; i < probes; i++) {
      for (const t of i % 2 === 0 ? [stand.direct, target] : [target, stand.direct]) {
        const pool = pools.get(t.name) as Pool;
        const timing = await timedRequest(pool, t, {
          body,
          signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        }).catch(() => undefined);
        const value = timing?.status === 200 ? timing.firstChunkMs : Number.POSITIVE_INFINITY;
        (t.name === 'direct' ? samples.direct : samples.target).push(value);
        // A proxy that cannot answer within the timeout has failed the step: stop probing it.
        if (!Number.isFinite(value) && t.name !== 'direct') return value;
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.destroy()));
  }
  return percentile(samples.target, 99) - percentile(samples.direct, 99);
}

async function step(stand: Stand, target: Target, count: number, probes: number): Promise<StepResult> {
  const pid = target.pid ?? 0;
  const idleRssMb = rssMb(pid) ?? Number.NaN;
  const abort = new AbortController();
  const held = await holdStreams(target, count, abort.signal);
  const deadline = performance.now() + OPEN_TIMEOUT_MS;
  while (held.firstChunks.length < count && performance.now() < deadline) await sleep(50);
  const opened = held.firstChunks.length;
  if (opened === count) await sleep(SETTLE_MS);
  const rss = rssMb(pid) ?? Number.NaN;
  const rssAnonMb = rssMb(pid, 'RssAnon') ?? Number.NaN;
  const p99AddedMs = opened === count ? await probe(stand, target, probes) : Number.POSITIVE_INFINITY;
  abort.abort();
  await Promise.all(held.running);
  await held.pool.destroy();
  // Let the proxy finish recording the cancelled calls before the next step.
  await sleep(1000);
  return {
    streams: count,
    opened,
    p99AddedMs,
    rssMb: rss,
    rssAnonMb,
    idleRssMb,
    passed: opened === count && p99AddedMs < LIMIT_MS,
  };
}

export async function measureCapacity(
  stand: Stand,
  plan: Plan,
  log: (line: string) => void,
): Promise<Metric[]> {
  const results = { baseline: [] as StepResult[], gateway: [] as StepResult[] };
  const failed = { baseline: false, gateway: false };
  for (const count of plan.capacitySteps) {
    for (const target of [stand.baseline, stand.gateway]) {
      const name = target.name as 'baseline' | 'gateway';
      if (failed[name]) continue;
      const result = await step(stand, target, count, plan.capacityProbes);
      results[name].push(result);
      // Only a proxy that could not hold the streams at all stops here: a p99 over the limit
      // on a noisy machine may pass again one step up, and the memory figures are wanted anyway.
      failed[name] = result.opened < count;
      log(
        `capacity: ${name} holding ${count} streams: ${result.opened} opened, p99 added first chunk ` +
          `${result.p99AddedMs.toFixed(2)} ms, RSS ${result.rssMb.toFixed(0)} MB (idle ${result.idleRssMb.toFixed(0)} MB)`,
      );
    }
  }
  const most = (list: StepResult[]) => Math.max(0, ...list.filter((r) => r.passed).map((r) => r.streams));
  const section = 'capacity';
  const metrics: Metric[] = [
    compared(
      {
        section,
        name: `most concurrent streams with p99 added first chunk < ${LIMIT_MS} ms`,
        unit: 'streams',
        target: `≥ 2,000 (steps ${plan.capacitySteps.join(', ')})`,
        note: [describeFailure('gateway', results.gateway), describeFailure('baseline', results.baseline)]
          .filter(Boolean)
          .join('; '),
      },
      most(results.gateway),
      most(results.baseline),
      'delta',
      // Judged on the gateway's own figure: the baseline is context here.
      () => most(results.gateway) >= 2000,
    ),
  ];
  for (const count of plan.capacitySteps) {
    const gateway = results.gateway.find((r) => r.streams === count);
    const baseline = results.baseline.find((r) => r.streams === count);
    if (!gateway) continue;
    metrics.push(
      compared(
        {
          section,
          name: `RSS holding ${count} streams`,
          unit: 'MB',
          target: count === 2000 ? '< 400 MB' : '–',
          note:
            `gateway ${gateway.idleRssMb.toFixed(0)} MB before the step, ${gateway.rssAnonMb.toFixed(0)} MB ` +
            `of it anonymous while holding; ${gateway.opened}/${count} streams opened`,
        },
        gateway.rssMb,
        baseline?.rssMb ?? Number.NaN,
        'delta',
        count === 2000 ? () => gateway.opened === count && gateway.rssMb < 400 : null,
      ),
    );
  }
  return metrics;
}

function describeFailure(name: string, steps: StepResult[]): string | undefined {
  const failure = steps.find((r) => !r.passed);
  if (!failure) return undefined;
  if (failure.opened < failure.streams) {
    return `${name}: only ${failure.opened} of ${failure.streams} held streams got a first chunk within ${OPEN_TIMEOUT_MS / 1000} s`;
  }
  return `${name}: at ${failure.streams} streams the p99 added first chunk was ${failure.p99AddedMs.toFixed(1)} ms`;
}
