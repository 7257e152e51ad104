import { type AccountStore, type KeyRecord, rollMeter } from './accounts.ts';
import { parseUsd, usdToNumber } from './decimal.ts';
import { startOfUtcDay } from './periods.ts';

/** JSON views of keys: the `Key` object of /keys and the `data` of GET /key. */

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function usageFields(record: KeyRecord, now: number): Record<string, number> {
  const u = rollMeter(record.usage, now);
  const b = rollMeter(record.byokUsage, now);
  return {
    usage: usdToNumber(u.total),
    usage_daily: usdToNumber(u.day),
    usage_weekly: usdToNumber(u.week),
    usage_monthly: usdToNumber(u.month),
    byok_usage: usdToNumber(b.total),
    byok_usage_daily: usdToNumber(b.day),
    byok_usage_weekly: usdToNumber(b.week),
    byok_usage_monthly: usdToNumber(b.month),
  };
}

function limitRemaining(store: AccountStore, record: KeyRecord, now: number): number | null {
  const remaining = store.limitRemaining(record, now);
  return remaining === null ? null : usdToNumber(remaining);
}

export function renderKey(store: AccountStore, record: KeyRecord, now: number): Record<string, unknown> {
  return {
    hash: record.hash,
    name: record.name,
    label: record.label,
    disabled: record.disabled,
    limit: record.limit === null ? null : usdToNumber(record.limit),
    limit_remaining: limitRemaining(store, record, now),
    limit_reset: record.limitReset,
    include_byok_in_limit: record.includeByokInLimit,
    ...usageFields(record, now),
    created_at: iso(record.createdAtMs),
    updated_at: iso(record.updatedAtMs),
    expires_at: iso(record.expiresAtMs),
    creator_user_id: record.creatorUserId,
    external_user: null,
    workspace_id: 'default',
  };
}

const TEN_USD = parseUsd(10);

export function renderCurrentKey(
  store: AccountStore,
  record: KeyRecord,
  now: number,
): Record<string, unknown> {
  const account = record.account;
  const freeLimit = account.totalCredits >= TEN_USD ? 1000 : 50;
  const freeUsed = account.freeDay === startOfUtcDay(now) ? account.freeUsed : 0;
  return {
    label: record.label,
    limit: record.limit === null ? null : usdToNumber(record.limit),
    limit_remaining: limitRemaining(store, record, now),
    limit_reset: record.limitReset,
    include_byok_in_limit: record.includeByokInLimit,
    ...usageFields(record, now),
    is_free_tier: account.totalCredits === 0n,
    is_management_key: record.kind === 'management',
    is_provisioning_key: record.kind === 'management',
    free_model_daily_requests: {
      used: freeUsed,
      limit: freeLimit,
      remaining: Math.max(0, freeLimit - freeUsed),
    },
    creator_user_id: record.creatorUserId ?? account.userId,
    organization_id: null,
    workspace_id: null,
    expires_at: iso(record.expiresAtMs),
    allowed_data_regions: ['global'],
    rate_limit: { requests: 1000, interval: '1h', note: 'This field is deprecated and safe to ignore.' },
  };
}
