import { z } from 'zod';

const count = z.number().int().nonnegative().nullish();
const usd = z.union([z.number(), z.string()]).nullish();

/**
 * The part of OpenRouter's `GET /generation` record reconciliation uses (openrouter-api.md §7).
 * Lenient: every field may be absent or null (older records lack many), unknown fields are dropped.
 */
export const generationRecordSchema = z.object({
  id: z.string(),
  total_cost: usd,
  usage: usd,
  upstream_inference_cost: usd,
  is_byok: z.boolean().nullish(),
  model: z.string().nullish(),
  provider_name: z.string().nullish(),
  latency: z.number().nullish(),
  generation_time: z.number().nullish(),
  finish_reason: z.string().nullish(),
  native_finish_reason: z.string().nullish(),
  tokens_prompt: count,
  tokens_completion: count,
  native_tokens_prompt: count,
  native_tokens_completion: count,
  native_tokens_reasoning: count,
  native_tokens_cached: count,
  provider_responses: z.array(z.record(z.string(), z.unknown())).nullish(),
});

export type GenerationRecord = z.infer<typeof generationRecordSchema>;

/** Accepts the record itself or the endpoint's `{ data: record }` envelope. */
export function parseGenerationRecord(input: unknown): GenerationRecord {
  const unwrapped =
    input !== null && typeof input === 'object' && 'data' in input && typeof input.data === 'object'
      ? input.data
      : input;
  return generationRecordSchema.parse(unwrapped);
}

export type FetchGenerationResult = { status: 'found'; record: unknown } | { status: 'not_found' };

/** Fetches one generation record; the client (or a fake) is passed in, never imported. */
export type FetchGeneration = (generationId: string, signal: AbortSignal) => Promise<FetchGenerationResult>;
