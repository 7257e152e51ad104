import { type FaultName, isFaultName, SIMULATOR_FAULTS } from './fault-info.ts';
import { createRng } from './rng.ts';

export {
  DEFAULT_RANDOM_FAULTS,
  FAULT_INFO,
  type FaultInfo,
  type FaultKind,
  type FaultName,
  isFaultName,
  SIMULATOR_FAULTS,
} from './fault-info.ts';

/**
 * Injected failures. A request picks at most one fault, from (in order) the per-key queue, the
 * `X-Simulator-Fault` header, or the seeded random draw (`faultRate`).
 *
 * Header syntax: a comma-separated sequence of steps, each `name[;times=N][;ms=M][;id=X]`.
 *   `X-Simulator-Fault: 429`                 every request carrying it fails with 429
 *   `X-Simulator-Fault: 429;times=1`         the first such request fails, its retries succeed
 *   `X-Simulator-Fault: 429;times=2,500;times=1`  two 429s, one 500, then success
 *   `X-Simulator-Fault: none;times=1,503`    first succeeds, then 503 forever
 *   `X-Simulator-Fault: slow-first-token;ms=800`  per-fault parameter
 * Steps are counted per account and exact header text, so a retrying client that resends the
 * header walks through the sequence; add `;id=<unique>` to start a fresh count.
 */

export interface Fault {
  name: FaultName;
  /** Parameter `ms=` for stall and the slow faults. */
  ms?: number;
}

interface Step {
  fault: Fault | null;
  times: number;
}

/** Parses the header into steps, or returns an error message. */
export function parseFaultHeader(header: string): Step[] | string {
  const steps: Step[] = [];
  for (const rawStep of header.split(',')) {
    const [rawName = '', ...params] = rawStep.split(';').map((s) => s.trim());
    const name = rawName.toLowerCase();
    let fault: Fault | null = null;
    if (name !== 'none') {
      if (!isFaultName(name)) {
        return `Unknown X-Simulator-Fault "${rawName}". Known faults: none, ${SIMULATOR_FAULTS.join(', ')}.`;
      }
      fault = { name };
    }
    let times = Infinity;
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((s) => s.trim());
      if (key === 'times' || key === 'ms') {
        const n = Number(value);
        if (!Number.isInteger(n) || n < (key === 'times' ? 1 : 0)) {
          return `X-Simulator-Fault: ${key}= needs a whole number${key === 'times' ? ' ≥ 1' : ''} (got "${value}").`;
        }
        if (key === 'times') times = n;
        else if (fault !== null) fault.ms = n;
      } else if (key !== 'id' && key !== '') {
        return `X-Simulator-Fault: unknown parameter "${key}" (use times=, ms= or id=).`;
      }
    }
    steps.push({ fault, times });
  }
  return steps;
}

export interface FaultChoice {
  fault: Fault | null;
  /** Set when the header could not be parsed. */
  error?: string;
}

export interface FaultPlanner {
  choose(scope: string, header: string | undefined): FaultChoice;
  /** Queues faults for the next requests of `scope` (an account), ahead of header and random faults. */
  enqueue(scope: string, faults: readonly Fault[]): void;
}

const MAX_TRACKED = 100_000;

export interface FaultPlannerOptions {
  faultRate: number;
  seed: number;
  randomFaults: readonly FaultName[];
}

export function createFaultPlanner(options: FaultPlannerOptions): FaultPlanner {
  const rng = createRng(options.seed ^ 0x5eed_fa17);
  const counters = new Map<string, number>();
  const queues = new Map<string, Fault[]>();
  const parsed = new Map<string, Step[] | string>();
  return {
    choose(scope, header) {
      const queue = queues.get(scope);
      if (queue !== undefined && queue.length > 0) {
        const next = queue.shift() ?? null;
        if (queue.length === 0) queues.delete(scope);
        return { fault: next };
      }
      if (header !== undefined && header.trim() !== '') {
        let steps = parsed.get(header);
        if (steps === undefined) {
          steps = parseFaultHeader(header);
          // Headers with a fresh `id=` per request would grow these maps without bound.
          if (parsed.size >= MAX_TRACKED) parsed.clear();
          parsed.set(header, steps);
        }
        if (typeof steps === 'string') return { fault: null, error: steps };
        const counterKey = `${scope}\n${header}`;
        const seen = counters.get(counterKey) ?? 0;
        if (seen === 0 && counters.size >= MAX_TRACKED) counters.delete(counters.keys().next().value ?? '');
        counters.set(counterKey, seen + 1);
        let index = seen;
        for (const step of steps) {
          if (index < step.times) return { fault: step.fault };
          index -= step.times;
        }
        return { fault: null };
      }
      if (options.faultRate > 0 && options.randomFaults.length > 0 && rng.next() < options.faultRate) {
        return { fault: { name: rng.pick(options.randomFaults) } };
      }
      return { fault: null };
    },
    enqueue(scope, faults) {
      const queue = queues.get(scope) ?? [];
      queue.push(...faults);
      queues.set(scope, queue);
    },
  };
}
