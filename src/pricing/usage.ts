/**
 * The parts of a response's `usage` (§4.3) that pricing reads, typed structurally so the client's
 * parsed usage (or a raw JSON object) fits, and token counts normalised with problems flagged.
 */

export interface UsageLike {
  readonly prompt_tokens?: number | null;
  readonly completion_tokens?: number | null;
  readonly total_tokens?: number | null;
  readonly prompt_tokens_details?: {
    readonly cached_tokens?: number | null;
    readonly cache_write_tokens?: number | null;
    readonly audio_tokens?: number | null;
  } | null;
  readonly completion_tokens_details?: {
    readonly reasoning_tokens?: number | null;
  } | null;
  readonly cost?: number | string | null;
  readonly is_byok?: boolean | null;
  readonly cost_details?: {
    readonly upstream_inference_cost?: number | string | null;
  } | null;
  readonly server_tool_use_details?: {
    readonly web_search_requests?: number | null;
  } | null;
}

export interface NormalizedTokens {
  /** All input tokens, cached and cache-written ones included. */
  readonly promptTokens: number;
  /** Input tokens read from the cache. */
  readonly cachedTokens: number;
  /** Input tokens written to the cache. */
  readonly cacheWriteTokens: number;
  /** Input audio tokens (part of promptTokens). */
  readonly audioTokens: number;
  /** All output tokens, reasoning included. */
  readonly completionTokens: number;
  /** Reasoning tokens (part of completionTokens). */
  readonly reasoningTokens: number;
  /** What is wrong with the counts; the counts are reported as given, never silently fixed. */
  readonly violations: readonly string[];
}

/**
 * Reads the counts from `usage`. A count that is absent where it is required, or not a finite
 * number, reads as 0 and is flagged; negative and fractional counts are kept and flagged; so are
 * inconsistent ones (cached > prompt, cached + cache_write > prompt, reasoning > completion).
 */
export function normalizeTokens(usage: UsageLike | null | undefined): NormalizedTokens {
  const violations: string[] = [];
  const read = (name: string, value: unknown, required: boolean): number => {
    if (value === undefined || value === null) {
      if (required) violations.push(`${name} is missing`);
      return 0;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      violations.push(`${name} is not a finite number: ${JSON.stringify(value)}`);
      return 0;
    }
    if (value < 0) violations.push(`${name} is negative: ${value}`);
    if (!Number.isInteger(value)) violations.push(`${name} is not an integer: ${value}`);
    return value;
  };
  const promptTokens = read('prompt_tokens', usage?.prompt_tokens, true);
  const completionTokens = read('completion_tokens', usage?.completion_tokens, true);
  const promptDetails = usage?.prompt_tokens_details;
  const cachedTokens = read('prompt_tokens_details.cached_tokens', promptDetails?.cached_tokens, false);
  const cacheWriteTokens = read(
    'prompt_tokens_details.cache_write_tokens',
    promptDetails?.cache_write_tokens,
    false,
  );
  const audioTokens = read('prompt_tokens_details.audio_tokens', promptDetails?.audio_tokens, false);
  const reasoningTokens = read(
    'completion_tokens_details.reasoning_tokens',
    usage?.completion_tokens_details?.reasoning_tokens,
    false,
  );
  if (cachedTokens > 0 && cachedTokens > promptTokens) {
    violations.push(`cached_tokens (${cachedTokens}) exceed prompt_tokens (${promptTokens})`);
  }
  if (cacheWriteTokens > 0 && cachedTokens + cacheWriteTokens > promptTokens) {
    violations.push(
      `cached_tokens + cache_write_tokens (${cachedTokens} + ${cacheWriteTokens}) exceed prompt_tokens (${promptTokens})`,
    );
  }
  if (audioTokens > 0 && audioTokens > promptTokens) {
    violations.push(`audio_tokens (${audioTokens}) exceed prompt_tokens (${promptTokens})`);
  }
  if (reasoningTokens > 0 && reasoningTokens > completionTokens) {
    violations.push(`reasoning_tokens (${reasoningTokens}) exceed completion_tokens (${completionTokens})`);
  }
  return {
    promptTokens,
    cachedTokens,
    cacheWriteTokens,
    audioTokens,
    completionTokens,
    reasoningTokens,
    violations,
  };
}
