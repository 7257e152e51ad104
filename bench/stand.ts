import type { Target } from './http-probe.ts';
import { type BenchChild, startChild } from './processes.ts';

/**
 * The three HTTP targets, each in its own process: the simulator (called directly, the floor),
 * the pass-through baseline in front of it, and tollgate's gateway in front of it.
 */
export interface Stand {
  direct: Target;
  baseline: Target;
  gateway: Target;
  simulatorPid: number;
  close(): Promise<void>;
}

export interface StandOptions {
  /** Run the gateway under --cpu-prof, writing its profile here when it stops. */
  profileDir?: string | undefined;
  /** The gateway ledger's SQLite `synchronous` setting (default: the ledger's own, FULL). */
  sqliteSync?: 'full' | 'normal';
  /** The gateway ledger's journal (default on, as shipped). */
  journal?: boolean;
}

export async function startStand(options: StandOptions = {}): Promise<Stand> {
  const { profileDir, sqliteSync = 'normal', journal = true } = options;
  const children: BenchChild[] = [];
  try {
    const sim = await startChild('simulator', new URL('./sim-child.ts', import.meta.url), []);
    children.push(sim);
    const apiUrl = sim.info.apiUrl ?? `${sim.url}/api/v1`;
    const started = await Promise.allSettled([
      startChild('baseline', new URL('./baseline-proxy.ts', import.meta.url), ['--upstream', sim.url]),
      startChild(
        'gateway',
        new URL('./gateway-child.ts', import.meta.url),
        ['--upstream', apiUrl, '--sqlite-sync', sqliteSync, ...(journal ? [] : ['--no-journal'])],
        {
          execArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
        },
      ),
    ]);
    for (const result of started) if (result.status === 'fulfilled') children.push(result.value);
    const [baseline, gateway] = started.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    }) as [BenchChild, BenchChild];
    return {
      direct: { name: 'direct', origin: sim.url },
      baseline: { name: 'baseline', origin: baseline.url, pid: baseline.pid },
      gateway: { name: 'gateway', origin: gateway.url, pid: gateway.pid },
      simulatorPid: sim.pid,
      close: async () => {
        await Promise.all(children.map((child) => child.stop()));
      },
    };
  } catch (error) {
    await Promise.all(children.map((child) => child.stop()));
    throw error;
  }
}
