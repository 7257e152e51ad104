import { cpus } from 'node:os';
import { CHAT_PATH, chatBody, requestHeaders, type Target } from '../http-probe.ts';
import { type LoadRun, runLoad } from '../load.ts';
import type { Plan } from '../options.ts';
import { cpuTimeMs, machineCpu } from '../processes.ts';
import { compared, type Metric, single } from '../report.ts';
import type { Stand } from '../stand.ts';
import { median, round } from '../stats.ts';

/**
 * Throughput at high concurrency, plain and streamed, baseline and gateway alternately: every
 * round runs each configuration once per target (the order flipping each round), so a noisy
 * neighbour hurts both sides of a pair. Reports medians of the paired ratios, and the CPU time
 * the proxy process spent per request (from /proc), which shared machines disturb far less.
 *
 * It also reports the machine's CPU budget: how much CPU per request the gateway could spend and
 * still serve 80% of the baseline's requests. The simulator and the load generator run on the
 * same cores, so on a machine the baseline's runs fill, that budget is what the cores were busy
 * for in those runs, at 80% of their rate, less the simulator's and the load generator's share.
 */

interface Config {
  connections: number;
  stream: boolean;
}

interface RoundResult {
  run: LoadRun;
  /** Proxy CPU per answered request, µs; NaN where /proc is not readable. */
  cpuUs: number;
  /** The simulator's and the load generator's (this process's) CPU per answered request, µs. */
  harnessCpuUs: number;
  /** Cores the whole machine kept busy on average during the run; NaN where /proc is not readable. */
  busyCores: number;
}

/** CPU time spent between two readings, per answered request, in µs (NaN when unknown). */
function perRequestUs(beforeMs: number | undefined, afterMs: number | undefined, requests: number): number {
  return beforeMs === undefined || afterMs === undefined || requests === 0
    ? Number.NaN
    : ((afterMs - beforeMs) * 1000) / requests;
}

async function measured(
  target: Target,
  simulatorPid: number,
  config: Config,
  seconds: number,
): Promise<RoundResult> {
  const cpuMs = () => (target.pid === undefined ? undefined : cpuTimeMs(target.pid));
  const harnessMs = () => {
    const simulator = cpuTimeMs(simulatorPid);
    const own = process.cpuUsage();
    return simulator === undefined ? undefined : simulator + (own.user + own.system) / 1000;
  };
  const before = { proxy: cpuMs(), harness: harnessMs(), machine: machineCpu() };
  const run = await runLoad({
    url: `${target.origin}${CHAT_PATH}`,
    connections: config.connections,
    seconds,
    headers: requestHeaders(),
    body: chatBody({ stream: config.stream }),
  });
  const machine = machineCpu();
  return {
    run,
    cpuUs: perRequestUs(before.proxy, cpuMs(), run.ok),
    harnessCpuUs: perRequestUs(before.harness, harnessMs(), run.ok),
    busyCores:
      before.machine === undefined || machine === undefined || machine.total === before.machine.total
        ? Number.NaN
        : ((machine.busy - before.machine.busy) / (machine.total - before.machine.total)) * cpus().length,
  };
}

/**
 * The CPU per request the gateway could spend and still serve 80% of the baseline's requests:
 * the cores busy in the baseline's runs, at 80% of its rate, less the simulator's and the load
 * generator's CPU per request. Meaningful where the baseline's runs fill the machine (see the
 * idle share in the note). One thread at 100% is the other ceiling, for the gateway's main thread:
 * the row shows the lower of the two.
 */
function cpuBudget(
  section: string,
  entry: { gateway: RoundResult[]; baseline: RoundResult[] },
  cores: number,
): Metric {
  const finite = (values: number[]) => values.filter((value) => Number.isFinite(value));
  const all = [...entry.gateway, ...entry.baseline];
  const rate = 0.8 * median(entry.baseline.map((r) => r.run.requestsPerSecond));
  const busyCores = median(finite(entry.baseline.map((r) => r.busyCores)));
  const harnessUs = median(finite(all.map((r) => r.harnessCpuUs)));
  const machineUs = (busyCores * 1e6) / rate - harnessUs;
  const oneThreadUs = 1e6 / rate;
  const idle = (list: RoundResult[]) => {
    const busy = median(finite(list.map((r) => r.busyCores)));
    return Number.isFinite(busy) ? `${Math.round((1 - busy / cores) * 100)}%` : 'unknown';
  };
  return single(
    {
      section,
      name: 'gateway CPU per request that 80% would allow',
      unit: 'µs',
      target: '–',
      note:
        `the lower of two ceilings at 80% of the baseline's rate (${Math.round(rate)} req/s): the machine's, ` +
        `${round(machineUs)} µs (the ${round(busyCores)} cores busy in the baseline's runs, less the ` +
        `simulator and load generator's ${round(harnessUs)} µs per request; machine idle ${idle(entry.baseline)} ` +
        `in the baseline's runs, ${idle(entry.gateway)} in the gateway's), and one thread at 100%, ` +
        `${round(oneThreadUs)} µs`,
    },
    Math.min(machineUs, oneThreadUs),
    null,
  );
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
        const result = await measured(target, stand.simulatorPid, config, plan.throughputSeconds);
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
    metrics.push(cpuBudget(section, entry, cpus().length));
  }
  return metrics;
}
