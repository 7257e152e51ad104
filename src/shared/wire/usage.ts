import { z } from 'zod';
import { nullishBoolean, nullishNumber } from './schema-helpers.ts';

/** §4.3. Detail objects are nullable and their counters may be `null`; only the totals are certain. */
export const ChatUsageSchema = z.looseObject({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  prompt_tokens_details: z
    .looseObject({
      cached_tokens: nullishNumber,
      cache_write_tokens: nullishNumber,
      audio_tokens: nullishNumber,
      video_tokens: nullishNumber,
    })
    .nullish(),
  completion_tokens_details: z
    .looseObject({
      reasoning_tokens: nullishNumber,
      image_tokens: nullishNumber,
      audio_tokens: nullishNumber,
      accepted_prediction_tokens: nullishNumber,
      rejected_prediction_tokens: nullishNumber,
    })
    .nullish(),
  /** USD charged to the account for this request. */
  cost: nullishNumber,
  is_byok: nullishBoolean,
  cost_details: z
    .looseObject({
      upstream_inference_cost: nullishNumber,
      upstream_inference_prompt_cost: nullishNumber,
      upstream_inference_completions_cost: nullishNumber,
      server_tool_cost: nullishNumber,
    })
    .nullish(),
  server_tool_use_details: z
    .looseObject({
      tool_calls_requested: nullishNumber,
      tool_calls_executed: nullishNumber,
      web_search_requests: nullishNumber,
    })
    .nullish(),
});
export type ChatUsage = z.infer<typeof ChatUsageSchema>;
