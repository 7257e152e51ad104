import { type Dispatcher, request } from 'undici';
import { parseJsonObjectText } from '../../src/shared/json-object.ts';

/**
 * One chat call through a gateway, as a client sees it: answered only when the whole response
 * (headers and body to its last byte) arrived. A connection that breaks first is not answered.
 */

export interface ChatCallOptions {
  stream: boolean;
  model?: string;
  content?: string;
  maxTokens?: number;
  /** Bearer token (a gateway key, the admin key, or anything in open mode). */
  token?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ChatCallResult {
  /** The full response arrived (whatever its status). */
  answered: boolean;
  status: number | null;
  /** `x-tollgate-request-id`: the ledger row's id. */
  requestId: string | null;
  /** OpenRouter's `gen-…` id, from the body or the first stream chunk. */
  generationId: string | null;
  /** The error code of an error answer (HTTP error body, or the final SSE error event). */
  errorCode: string | null;
  /** Why the call was not answered. */
  failure: string | null;
}

export const TEST_MODEL = 'openai/gpt-4o-mini';

export async function chatCall(
  dispatcher: Dispatcher,
  baseUrl: string,
  options: ChatCallOptions,
): Promise<ChatCallResult> {
  let status: number | null = null;
  let requestId: string | null = null;
  try {
    const response = await request(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      signal: options.signal,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${options.token ?? 'sk-anything'}`,
        ...options.headers,
      },
      body: JSON.stringify({
        model: options.model ?? TEST_MODEL,
        messages: [{ role: 'user', content: options.content ?? 'Say something about tollgates.' }],
        max_tokens: options.maxTokens ?? 30,
        stream: options.stream,
      }),
    });
    status = response.statusCode;
    const header = response.headers['x-tollgate-request-id'];
    requestId = typeof header === 'string' ? header : null;
    const text = await response.body.text();
    if (options.stream && status === 200) return { ...streamFacts(text), status, requestId, failure: null };
    const body = parseJsonObjectText(text);
    const error = body?.error as { code?: unknown } | undefined;
    return {
      answered: body !== undefined,
      status,
      requestId,
      generationId: status === 200 && typeof body?.id === 'string' ? body.id : null,
      errorCode: error && typeof error.code === 'string' ? error.code : null,
      failure: body === undefined ? `unparseable body: ${text.slice(0, 200)}` : null,
    };
  } catch (error) {
    return {
      answered: false,
      status,
      requestId,
      generationId: null,
      errorCode: null,
      failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

/** A stream is answered when it ends with `[DONE]` or with a final error event. */
function streamFacts(text: string): Omit<ChatCallResult, 'status' | 'requestId' | 'failure'> {
  let generationId: string | null = null;
  let errorCode: string | null = null;
  let done = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = parseJsonObjectText(data);
    if (!chunk) continue;
    if (generationId === null && typeof chunk.id === 'string' && chunk.id.startsWith('gen-'))
      generationId = chunk.id;
    const error = chunk.error as { code?: unknown } | undefined;
    if (error) errorCode = typeof error.code === 'string' ? error.code : String(error.code);
  }
  return { answered: done || errorCode !== null, generationId, errorCode };
}

export interface LoadOptions {
  /** Concurrent callers. */
  workers: number;
  /** The options of call number `n` (0-based, across workers). */
  call(n: number): ChatCallOptions;
  /** Stops starting new calls once aborted (calls in flight run on). */
  stop: AbortSignal;
  /** Called as each call ends. */
  onResult?(result: ChatCallResult, n: number): void;
  /** Pause between a worker's calls (steady rate rather than flat out). */
  pauseMs?: number;
}

/** Closed-loop load: `workers` callers, each calling again as soon as its last call ended. */
export async function runLoad(
  dispatcher: Dispatcher,
  baseUrl: string,
  options: LoadOptions,
): Promise<ChatCallResult[]> {
  const results: ChatCallResult[] = [];
  let next = 0;
  const worker = async () => {
    while (!options.stop.aborted) {
      const n = next++;
      const result = await chatCall(dispatcher, baseUrl, options.call(n));
      results.push(result);
      options.onResult?.(result, n);
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return results;
}
