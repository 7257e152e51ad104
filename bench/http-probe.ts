import { performance } from 'node:perf_hooks';
import { type Dispatcher, Pool, request } from 'undici';
import { createSimulatorKey } from '../src/simulator/index.ts';

/**
 * One timed request at a time, for latency and first-chunk figures with sub-millisecond
 * resolution (autocannon's histograms count whole milliseconds). Each target gets its own
 * keep-alive pool, so no measured request pays for a connection.
 */

export type TargetName = 'direct' | 'baseline' | 'gateway';

export interface Target {
  name: TargetName;
  /** Origin, e.g. http://127.0.0.1:40123; every target serves /api/v1/… */
  origin: string;
  /** The process whose CPU and memory are measured (none for `direct`). */
  pid?: number;
}

export const CHAT_PATH = '/api/v1/chat/completions';

/** One simulator account for the whole run; the gateway replaces it with its own upstream key. */
const CALLER_KEY = createSimulatorKey();

export function requestHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${CALLER_KEY}`, 'content-type': 'application/json', ...extra };
}

/** A short chat call, as most pipeline calls are; `maxTokens` sets the answer's length. */
export function chatBody(options: { stream?: boolean; maxTokens?: number } = {}): string {
  return JSON.stringify({
    model: 'openai/gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Summarise the benefits of measuring before optimising, briefly.' },
    ],
    max_tokens: options.maxTokens ?? 32,
    ...(options.stream ? { stream: true } : {}),
  });
}

export interface Timing {
  status: number;
  /** From sending to the end of the body. */
  totalMs: number;
  /** From sending to the first body bytes. */
  firstChunkMs: number;
  /** Arrival time of every body chunk, from sending (when asked for). */
  chunkMs: number[];
  bytes: number;
}

export interface ProbeRequest {
  body: string;
  headers?: Record<string, string>;
  recordChunks?: boolean;
  signal?: AbortSignal;
}

export async function timedRequest(
  dispatcher: Dispatcher,
  target: Target,
  probe: ProbeRequest,
): Promise<Timing> {
  const startedAt = performance.now();
  const response = await request(`${target.origin}${CHAT_PATH}`, {
    dispatcher,
    method: 'POST',
    headers: requestHeaders(probe.headers),
    body: probe.body,
    ...(probe.signal ? { signal: probe.signal } : {}),
  });
  let firstChunkMs = Number.NaN;
  let bytes = 0;
  const chunkMs: number[] = [];
  for await (const chunk of response.body) {
    const at = performance.now() - startedAt;
    if (bytes === 0) firstChunkMs = at;
    bytes += (chunk as Buffer).length;
    if (probe.recordChunks) chunkMs.push(at);
  }
  return {
    status: response.statusCode,
    totalMs: performance.now() - startedAt,
    firstChunkMs,
    chunkMs,
    bytes,
  };
}

/** A keep-alive pool per target (one connection: requests through it are sequential anyway). */
export function sequentialPools(targets: readonly Target[]): Map<TargetName, Pool> {
  return new Map(targets.map((target) => [target.name, new Pool(target.origin, { connections: 1 })]));
}

export async function closePools(pools: Map<TargetName, Pool>): Promise<void> {
  await Promise.all([...pools.values()].map((pool) => pool.close()));
}

/**
 * Runs `rounds` × each target once, in a rotating order (A B C, B C A, C A B…) so neither drift
 * nor "who goes first after a pause" favours one target. Returns the timings per target.
 */
export async function interleaved(
  targets: readonly Target[],
  rounds: number,
  once: (target: Target, pool: Pool) => Promise<Timing>,
): Promise<Map<TargetName, Timing[]>> {
  const pools = sequentialPools(targets);
  const results = new Map<TargetName, Timing[]>(targets.map((target) => [target.name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(round + i) % targets.length] as Target;
        const timing = await once(target, pools.get(target.name) as Pool);
        if (timing.status !== 200) throw new Error(`${target.name} answered ${timing.status}`);
        results.get(target.name)?.push(timing);
      }
    }
  } finally {
    await closePools(pools);
  }
  return results;
}
