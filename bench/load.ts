import { createRequire } from 'node:module';

/**
 * autocannon, typed for what the bench uses. It runs in the bench process (no workers), so the
 * load generator's CPU is the same for both targets and cancels out of the ratio.
 */

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  pipelining?: number;
  timeout?: number;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number; average: number };
}

type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult> & { stop(): void };

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadRun {
  /** Requests answered 2xx. */
  ok: number;
  /** Errors, timeouts and non-2xx answers. */
  failed: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  body: string;
}

export async function runLoad(spec: LoadSpec): Promise<LoadRun> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    method: 'POST',
    headers: spec.headers,
    body: spec.body,
    pipelining: 1,
    timeout: 30,
  });
  const ok = result['2xx'];
  return {
    ok,
    failed: result.errors + result.timeouts + result.non2xx,
    seconds: result.duration,
    requestsPerSecond: ok / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}
