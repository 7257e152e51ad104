import { z } from 'zod';
import { nullishBoolean, nullishNumber, nullishString, openEnum } from './schema-helpers.ts';

/** §9.1 `GET /credits`: USD; balance = total_credits - total_usage. */
export const CreditsSchema = z.looseObject({
  data: z.looseObject({ total_credits: z.number(), total_usage: z.number() }),
});
export type Credits = z.infer<typeof CreditsSchema>;

export const LimitResetSchema = openEnum(['daily', 'weekly', 'monthly']);

/** §9.2 `GET /key`: the calling key. */
export const KeyInfoSchema = z.looseObject({
  data: z.looseObject({
    label: nullishString,
    limit: nullishNumber,
    limit_remaining: nullishNumber,
    limit_reset: LimitResetSchema.nullish(),
    include_byok_in_limit: nullishBoolean,
    usage: nullishNumber,
    usage_daily: nullishNumber,
    usage_weekly: nullishNumber,
    usage_monthly: nullishNumber,
    byok_usage: nullishNumber,
    byok_usage_daily: nullishNumber,
    byok_usage_weekly: nullishNumber,
    byok_usage_monthly: nullishNumber,
    is_free_tier: nullishBoolean,
    is_management_key: nullishBoolean,
    is_provisioning_key: nullishBoolean,
    free_model_daily_requests: z
      .looseObject({ used: nullishNumber, limit: nullishNumber, remaining: nullishNumber })
      .nullish(),
    creator_user_id: nullishString,
    organization_id: nullishString,
    workspace_id: nullishString,
    expires_at: nullishString,
    allowed_data_regions: z.array(z.string()).nullish(),
    /** Legacy, documented as safe to ignore. */
    rate_limit: z.looseObject({}).nullish(),
  }),
});
export type KeyInfo = z.infer<typeof KeyInfoSchema>;

/** §10 a managed key (never the secret itself). */
export const ApiKeySchema = z.looseObject({
  hash: z.string(),
  name: nullishString,
  label: nullishString,
  disabled: nullishBoolean,
  limit: nullishNumber,
  limit_remaining: nullishNumber,
  limit_reset: LimitResetSchema.nullish(),
  include_byok_in_limit: nullishBoolean,
  usage: nullishNumber,
  usage_daily: nullishNumber,
  usage_weekly: nullishNumber,
  usage_monthly: nullishNumber,
  byok_usage: nullishNumber,
  byok_usage_daily: nullishNumber,
  byok_usage_weekly: nullishNumber,
  byok_usage_monthly: nullishNumber,
  created_at: nullishString,
  updated_at: nullishString,
  expires_at: nullishString,
  creator_user_id: nullishString,
  workspace_id: nullishString,
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const KeyListSchema = z.looseObject({ data: z.array(ApiKeySchema) });
export type KeyList = z.infer<typeof KeyListSchema>;

export const KeyResponseSchema = z.looseObject({ data: ApiKeySchema });
export type KeyResponse = z.infer<typeof KeyResponseSchema>;

export const CreateKeyRequestSchema = z.looseObject({
  name: z.string(),
  limit: nullishNumber,
  limit_reset: LimitResetSchema.nullish(),
  include_byok_in_limit: z.boolean().optional(),
  /** ISO-8601 UTC only. */
  expires_at: nullishString,
  creator_user_id: nullishString,
  workspace_id: nullishString,
});
export type CreateKeyRequest = z.infer<typeof CreateKeyRequestSchema>;

/** 201: the plaintext `key` appears only in this response. */
export const CreateKeyResponseSchema = z.looseObject({ data: ApiKeySchema, key: z.string() });
export type CreateKeyResponse = z.infer<typeof CreateKeyResponseSchema>;

export const UpdateKeyRequestSchema = z.looseObject({
  name: z.string().optional(),
  disabled: z.boolean().optional(),
  limit: nullishNumber,
  limit_reset: LimitResetSchema.nullish(),
  include_byok_in_limit: z.boolean().optional(),
});
export type UpdateKeyRequest = z.infer<typeof UpdateKeyRequestSchema>;

export const DeleteKeyResponseSchema = z.looseObject({
  deleted: z.boolean().optional(),
  data: z.looseObject({ deleted: z.boolean().optional() }).optional(),
});
export type DeleteKeyResponse = z.infer<typeof DeleteKeyResponseSchema>;

/** §10 `GET /activity`: one row per day × model × endpoint (completed UTC days only). */
export const ActivityItemSchema = z.looseObject({
  date: z.string(),
  model: nullishString,
  model_permaslug: nullishString,
  endpoint_id: nullishString,
  provider_name: nullishString,
  requests: nullishNumber,
  prompt_tokens: nullishNumber,
  completion_tokens: nullishNumber,
  reasoning_tokens: nullishNumber,
  usage: nullishNumber,
  byok_usage_inference: nullishNumber,
  workspace_id: nullishString,
});
export type ActivityItem = z.infer<typeof ActivityItemSchema>;

export const ActivitySchema = z.looseObject({ data: z.array(ActivityItemSchema) });
export type Activity = z.infer<typeof ActivitySchema>;
