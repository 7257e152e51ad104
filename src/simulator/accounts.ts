import { createHash } from 'node:crypto';
import { parseUsd, type Units } from './decimal.ts';
import { startOfUtcDay, startOfUtcMonth, startOfUtcWeek } from './periods.ts';
import type { IdSource } from './unique-ids.ts';

/**
 * Accounts, keys and what they have spent. Lenient mode (default) turns every unknown bearer key
 * into its own account; strict mode knows only the management key and keys issued through it.
 */

export type KeyKind = 'implicit' | 'management' | 'inference';
export type LimitReset = 'daily' | 'weekly' | 'monthly';

/** Spend in the current UTC day/week/month and in total; periods roll over lazily. */
export interface UsageMeter {
  total: Units;
  day: Units;
  dayStart: number;
  week: Units;
  weekStart: number;
  month: Units;
  monthStart: number;
}

export interface Account {
  userId: string;
  totalCredits: Units;
  /** Credits spent: the sum of every call's usage.cost (BYOK fees included). */
  totalUsage: Units;
  /** What BYOK calls cost on the providers' own accounts (not charged here). */
  byokUsage: Units;
  keys: Map<string, KeyRecord>;
  /** Per UTC day count of `:free` model requests. */
  freeDay: number;
  freeUsed: number;
}

export interface KeyRecord {
  key: string;
  hash: string;
  name: string;
  label: string;
  account: Account;
  kind: KeyKind;
  byok: boolean;
  disabled: boolean;
  limit: Units | null;
  limitReset: LimitReset | null;
  includeByokInLimit: boolean;
  createdAtMs: number;
  updatedAtMs: number | null;
  expiresAtMs: number | null;
  creatorUserId: string | null;
  usage: UsageMeter;
  byokUsage: UsageMeter;
}

export interface NewKeyInput {
  name: string;
  limit?: number | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
  expiresAtMs?: number | null;
  creatorUserId?: string | null;
  byok?: boolean;
  kind?: KeyKind;
  /** Use this exact key text instead of generating one. */
  key?: string;
}

export interface AccountStore {
  readonly strict: boolean;
  readonly managementKey: KeyRecord;
  /** The record for a bearer key; lenient mode creates an account for an unknown key. */
  lookup(bearer: string, now: number): KeyRecord | undefined;
  /** The record for a bearer key, never creating one. */
  find(bearer: string): KeyRecord | undefined;
  createKey(account: Account, input: NewKeyInput, now: number): KeyRecord;
  deleteKey(record: KeyRecord): void;
  createAccount(now: number): Account;
  accounts(): IterableIterator<Account>;
  /** Adds a call's charge to the account and key meters. */
  charge(record: KeyRecord, charged: Units, upstream: Units, isByok: boolean, now: number): void;
  /** Spend counted against the key's limit in the current period, or null when unlimited. */
  limitRemaining(record: KeyRecord, now: number): Units | null;
}

export interface AccountStoreOptions {
  strict: boolean;
  startingCredits: Units;
  managementKey?: string;
  ids: IdSource;
  now: number;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function maskKey(key: string): string {
  return key.length <= 15 ? `${key.slice(0, 3)}...` : `${key.slice(0, 12)}...${key.slice(-3)}`;
}

/** A lenient-mode bearer key with a `byok` dash-separated part is treated as a BYOK key. */
export function looksByok(key: string): boolean {
  return /(^|-)byok(-|$)/i.test(key);
}

export function newMeter(): UsageMeter {
  return { total: 0n, day: 0n, dayStart: 0, week: 0n, weekStart: 0, month: 0n, monthStart: 0 };
}

/** Rolls the meter's periods forward to `now` (mutates: a past period's spend no longer counts). */
export function rollMeter(meter: UsageMeter, now: number): UsageMeter {
  const day = startOfUtcDay(now);
  // Weeks and months start at day boundaries: nothing else can change within the same day.
  if (meter.dayStart === day) return meter;
  if (meter.dayStart !== day) {
    meter.day = 0n;
    meter.dayStart = day;
  }
  const week = startOfUtcWeek(now);
  if (meter.weekStart !== week) {
    meter.week = 0n;
    meter.weekStart = week;
  }
  const month = startOfUtcMonth(now);
  if (meter.monthStart !== month) {
    meter.month = 0n;
    meter.monthStart = month;
  }
  return meter;
}

function addToMeter(meter: UsageMeter, amount: Units, now: number): void {
  rollMeter(meter, now);
  meter.total += amount;
  meter.day += amount;
  meter.week += amount;
  meter.month += amount;
}

function periodSpend(meter: UsageMeter, reset: LimitReset | null, now: number): Units {
  rollMeter(meter, now);
  if (reset === 'daily') return meter.day;
  if (reset === 'weekly') return meter.week;
  if (reset === 'monthly') return meter.month;
  return meter.total;
}

export function createAccountStore(options: AccountStoreOptions): AccountStore {
  const { ids } = options;
  const byKey = new Map<string, KeyRecord>();
  // Deleted keys stay dead, even in lenient mode (which would otherwise adopt them as new accounts).
  const deleted = new Set<string>();
  const accounts: Account[] = [];

  const createAccount = (_now: number): Account => {
    const account: Account = {
      userId: `user_${ids.alnum(27)}`,
      totalCredits: options.startingCredits,
      totalUsage: 0n,
      byokUsage: 0n,
      keys: new Map(),
      freeDay: 0,
      freeUsed: 0,
    };
    accounts.push(account);
    return account;
  };

  const createKey = (account: Account, input: NewKeyInput, now: number): KeyRecord => {
    const kind = input.kind ?? 'inference';
    const byok = input.byok ?? false;
    const key = input.key ?? `sk-or-v1-${byok ? 'byok-' : ''}${ids.hex(byok ? 59 : 64)}`;
    const record: KeyRecord = {
      key,
      hash: hashKey(key),
      name: input.name,
      label: maskKey(key),
      account,
      kind,
      byok,
      disabled: false,
      limit: input.limit === undefined || input.limit === null ? null : parseUsd(input.limit),
      limitReset: input.limitReset ?? null,
      includeByokInLimit: input.includeByokInLimit ?? false,
      createdAtMs: now,
      updatedAtMs: null,
      expiresAtMs: input.expiresAtMs ?? null,
      creatorUserId: input.creatorUserId ?? null,
      usage: rollMeter(newMeter(), now),
      byokUsage: rollMeter(newMeter(), now),
    };
    account.keys.set(record.hash, record);
    byKey.set(key, record);
    return record;
  };

  const managementAccount = createAccount(options.now);
  const managementKey = createKey(
    managementAccount,
    {
      name: 'Simulator management key',
      kind: 'management',
      ...(options.managementKey === undefined ? {} : { key: options.managementKey }),
    },
    options.now,
  );

  return {
    strict: options.strict,
    managementKey,
    lookup(bearer, now) {
      const found = byKey.get(bearer);
      if (found !== undefined || options.strict || deleted.has(bearer)) return found;
      const account = createAccount(now);
      return createKey(
        account,
        { name: 'Default', kind: 'implicit', key: bearer, byok: looksByok(bearer) },
        now,
      );
    },
    find: (bearer) => byKey.get(bearer),
    createKey,
    deleteKey(record) {
      record.account.keys.delete(record.hash);
      byKey.delete(record.key);
      deleted.add(record.key);
    },
    createAccount,
    accounts: () => accounts.values(),
    charge(record, charged, upstream, isByok, now) {
      record.account.totalUsage += charged;
      addToMeter(record.usage, charged, now);
      if (isByok) {
        record.account.byokUsage += upstream;
        addToMeter(record.byokUsage, upstream, now);
      }
    },
    limitRemaining(record, now) {
      if (record.limit === null) return null;
      let spent = periodSpend(record.usage, record.limitReset, now);
      if (record.includeByokInLimit) spent += periodSpend(record.byokUsage, record.limitReset, now);
      return record.limit - spent;
    },
  };
}
