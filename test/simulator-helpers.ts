import type { Clock } from '../src/shared/clock.ts';
import type { RunningSimulator } from '../src/simulator/index.ts';

/** Small helpers shared by the simulator's in-process tests (plain fetch, no client code). */

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Chat completions the simulator has received (catalogue, key and generation reads left out). */
export function chatCompletionsSeen(sim: RunningSimulator): number {
  return sim.state.requests().filter((entry) => entry.path.endsWith('/chat/completions')).length;
}

export function call(
  sim: RunningSimulator,
  path: string,
  options: { method?: string; key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.key === undefined ? 'sk-or-v1-test' : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${sim.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export function chat(
  sim: RunningSimulator,
  body: Record<string, unknown>,
  options: { key?: string; fault?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = {
    ...(options.headers ?? {}),
    ...(options.fault === undefined ? {} : { 'x-simulator-fault': options.fault }),
  };
  return call(sim, '/chat/completions', {
    body: {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello, simulator!' }],
      ...body,
    },
    headers,
    ...(options.key === undefined ? {} : { key: options.key }),
  });
}

export interface SseStream {
  comments: string[];
  /** The `data:` payloads in order (JSON text or `[DONE]`). */
  data: string[];
  /** Parsed JSON payloads (everything but [DONE]). */
  chunks: Record<string, unknown>[];
  done: boolean;
}

/** A deliberately simple SSE reader for tests: events end at a blank line, `:` lines are comments. */
export function parseSse(text: string): SseStream {
  const out: SseStream = { comments: [], data: [], chunks: [], done: false };
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    const lines = block.split(/\r?\n/);
    const dataLines: string[] = [];
    for (const line of lines) {
      if (line.startsWith(':')) out.comments.push(line.slice(1).trim());
      else if (line.startsWith('data:')) dataLines.push(line.slice(5).trimStart());
    }
    if (dataLines.length === 0) continue;
    const data = dataLines.join('\n');
    out.data.push(data);
    if (data === '[DONE]') out.done = true;
    else out.chunks.push(JSON.parse(data) as Record<string, unknown>);
  }
  return out;
}

/** A clock tests move by hand; sleeps resolve when time is advanced past them. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(startMs = Date.UTC(2026, 2, 10, 12)): ManualClock {
  let now = startMs;
  const sleepers: { at: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const s of [...sleepers]) {
      if (s.at <= now) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.resolve();
      }
    }
  };
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const entry = { at: now + ms, resolve };
        sleepers.push(entry);
        signal?.addEventListener('abort', () => {
          const i = sleepers.indexOf(entry);
          if (i >= 0) sleepers.splice(i, 1);
          reject(signal.reason);
        });
        wake();
      }),
    advance(ms) {
      now += ms;
      wake();
    },
    set(ms) {
      now = ms;
      wake();
    },
  };
}

export const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Exact decimal sum of JSON numbers, each taken at its shortest decimal form (what the JSON said). */
export function exactSum(values: number[]): string {
  const SCALE = 24;
  let total = 0n;
  for (const v of values) {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(v));
    if (m === null) throw new Error(`not a number: ${v}`);
    const digits = BigInt(`${m[2]}${m[3] ?? ''}`);
    const exponent = Number(m[4] ?? 0) - (m[3] ?? '').length + SCALE;
    const units = exponent >= 0 ? digits * 10n ** BigInt(exponent) : digits / 10n ** BigInt(-exponent);
    total += m[1] === '-' ? -units : units;
  }
  const text = total.toString().padStart(SCALE + 1, '0');
  const fraction = text.slice(-SCALE).replace(/0+$/, '');
  return `${text.slice(0, -SCALE)}${fraction === '' ? '' : `.${fraction}`}`;
}

/** The payload shapes the tests read (cast from JSON; the SDK conformance test validates them for real). */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
  is_byok: boolean;
  prompt_tokens_details: {
    cached_tokens: number;
    cache_write_tokens: number;
    audio_tokens: number;
    video_tokens: number;
  };
  cost_details: {
    upstream_inference_cost: number | null;
    upstream_inference_prompt_cost: number;
    upstream_inference_completions_cost: number;
  };
  completion_tokens_details: { reasoning_tokens: number; image_tokens: number };
}

export interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

export interface ErrorObject {
  code: number;
  message: string;
  metadata: Record<string, unknown> & { error_type: string };
}

export interface ErrorBody {
  error: ErrorObject;
  user_id?: string;
}

export interface Choice {
  index: number;
  finish_reason: string | null;
  native_finish_reason: string | null;
  logprobs: null;
  text?: string;
  message: {
    role: string;
    content: string | null;
    refusal: string | null;
    reasoning: string | null;
    reasoning_details?: { type: string; text: string }[];
    tool_calls?: ToolCall[];
  };
  error?: ErrorObject;
}

export interface Completion {
  id: string;
  provider: string;
  model: string;
  object: string;
  created: number;
  system_fingerprint: string | null;
  choices: Choice[];
  usage: Usage;
}

export interface ChunkChoice {
  index: number;
  delta: {
    role?: string;
    content?: string | null;
    reasoning?: string;
    tool_calls?: {
      index: number;
      id?: string;
      type?: string;
      function?: { name?: string; arguments?: string };
    }[];
  };
  text?: string;
  finish_reason: string | null;
  native_finish_reason: string | null;
}

export interface Chunk {
  id: string;
  provider: string;
  model: string;
  object: string;
  created: number;
  choices: ChunkChoice[];
  usage?: Usage;
  error?: ErrorObject;
}

export interface Generation {
  id: string;
  total_cost: number;
  usage: number;
  model: string;
  provider_name: string | null;
  streamed: boolean | null;
  cancelled: boolean | null;
  finish_reason: string | null;
  native_finish_reason: string | null;
  tokens_prompt: number | null;
  tokens_completion: number | null;
  native_tokens_reasoning: number | null;
  upstream_inference_cost: number | null;
  is_byok: boolean;
  provider_responses: { provider_name: string; status: number | null; endpoint_id?: string }[] | null;
  [key: string]: unknown;
}

export interface Data<T> {
  data: T;
}

export const chunksOf = (stream: SseStream): Chunk[] => stream.chunks as unknown as Chunk[];

/** The first element, or a test failure (noUncheckedIndexedAccess-friendly). */
export function at<T>(items: readonly T[] | undefined, index = 0): T {
  const item = items?.[index];
  if (item === undefined) throw new Error(`expected an element at ${index}`);
  return item;
}

export const choiceOf = (body: Completion): Choice => at(body.choices);
export const contentOf = (body: Completion): string => choiceOf(body).message.content ?? '';

/** Exact cost from a decimal price string × tokens, in 1e-24 USD (plain BigInt, independent of the simulator). */
export function priceTimes(price: string, tokens: number): bigint {
  const [int = '0', frac = ''] = price.split('.');
  return BigInt(int + frac.padEnd(24, '0')) * BigInt(tokens);
}

/** A reported cost as exact 1e-24 USD units, via its shortest decimal form. */
export function units(cost: number): bigint {
  const [int = '0', frac = ''] = exactSum([cost]).split('.');
  return BigInt(int + frac.padEnd(24, '0'));
}
