import { CHAT_PATH, chatBody, requestHeaders, type Target } from '../http-probe.ts';
import { type LoadRun, runLoad } from '../load.ts';
import type { Plan } from '../options.ts';
import { cpuTimeMs } from '../processes.ts';
import { compared, type Metric } from '../report.ts';
import type { Stand } from '../stand.ts';
import { median } from '../stats.ts';

/**
 * Throughput at high concurrency, plain and streamed, baseline and gateway alternately: every
 * round runs each configuration once per target (the order flipping each round), so a noisy
 * neighbour hurts both sides of a pair. Reports medians of the paired ratios, and the CPU time
 * the proxy process spent per request (from /proc), which shared machines disturb far less.
 */

interface Config {
  connections: number;
  stream: boolean;
}

interface RoundResult {
  run: LoadRun;
  /** Proxy CPU per answered request, µs; NaN where /proc is not readable. */
  cpuUs: number;
}

async function measured(target: Target, config: Config, seconds: number): Promise<RoundResult> {
  const before = target.pid === undefined ? undefined : cpuTimeMs(target.pid);
  const run = await runLoad({
    url: `${target.origin}${CHAT_PATH}`,
    connections: config.connections,
    seconds,
    headers: requestHeaders(),
    body: chatBody({ stream: config.stream }),
  });
  const after = target.pid === undefined ? undefined : cpuTimeMs(target.pid);
  const cpuUs =
    before === undefined || after === undefined || run.ok === 0
      ? Number.NaN
      : ((after - before) * 1000) / run.ok;
  return { run, cpuUs };
}

export async function measureThroughput(
  stand: Stand,
  plan: Plan,
  log: (line: string) => void,
): Promise<Metric[]> {
  const configs: Config[] = plan.concurrencies.flatMap((connections) => [
    { connections, stream: false },
    { connections, stream: true },
  ]);
  const label = (c: Config) => `c=${c.connections} ${c.stream ? 'streamed' : 'plain'}`;
  const results = new Map<string, { gateway: RoundResult[]; baseline: RoundResult[] }>(
    configs.map((c) => [label(c), { gateway: [], baseline: [] }]),
  );
  log(
    `throughput: ${plan.throughputRounds} rounds × ${configs.length} configurations × 2 targets × ` +
      `${plan.throughputSeconds} s (after ${plan.throughputWarmupSeconds} s warm-up each)`,
  );
  for (const config of configs) {
    for (const target of [stand.baseline, stand.gateway]) {
      await runLoad({
        url: `${target.origin}${CHAT_PATH}`,
        connections: config.connections,
        seconds: plan.throughputWarmupSeconds,
        headers: requestHeaders(),
        body: chatBody({ stream: config.stream }),
      });
    }
  }
  for (let round = 0; round < plan.throughputRounds; round++) {
    for (const config of configs) {
      const order = round % 2 === 0 ? [stand.baseline, stand.gateway] : [stand.gateway, stand.baseline];
      const entry = results.get(label(config));
      for (const target of order) {
        const result = await measured(target, config, plan.throughputSeconds);
        if (target.name === 'gateway') entry?.gateway.push(result);
        else entry?.baseline.push(result);
      }
    }
    log(`throughput: round ${round + 1}/${plan.throughputRounds} done`);
  }

  const metrics: Metric[] = [];
  for (const config of configs) {
    const entry = results.get(label(config));
    if (!entry) continue;
    const section = `throughput ${label(config)}`;
    const rps = (list: RoundResult[]) => list.map((r) => r.run.requestsPerSecond);
    const pairedRps = entry.gateway.map(
      (g, i) => g.run.requestsPerSecond / (entry.baseline[i]?.run.requestsPerSecond ?? 0),
    );
    const failed = [...entry.gateway, ...entry.baseline].reduce((sum, r) => sum + r.run.failed, 0);
    const gwP99 = median(entry.gateway.map((r) => r.run.latencyP99Ms));
    const baseP99 = median(entry.baseline.map((r) => r.run.latencyP99Ms));
    metrics.push(
      compared(
        {
          section,
          name: 'requests/s (median of paired ratios)',
          unit: 'req/s',
          target: '≥ 80% of baseline',
          note:
            `p99 latency ${gwP99} ms gateway vs ${baseP99} ms baseline` +
            (failed > 0 ? `; ${failed} failed requests` : ''),
        },
        median(rps(entry.gateway)),
        median(rps(entry.baseline)),
        'ratio',
        (ratio) => ratio >= 0.8,
        median(pairedRps),
      ),
    );
    const cpu = (list: RoundResult[]) => list.map((r) => r.cpuUs).filter((v) => Number.isFinite(v));
    const pairedCpu = entry.gateway.map((g, i) => g.cpuUs / (entry.baseline[i]?.cpuUs ?? Number.NaN));
    metrics.push(
      compared(
        { section, name: 'proxy CPU per request', unit: 'µs', target: '–' },
        median(cpu(entry.gateway)),
        median(cpu(entry.baseline)),
        'ratio',
        null,
        median(pairedCpu.filter((v) => Number.isFinite(v))),
      ),
    );
  }
  return metrics;
}
