import type { Account, KeyRecord } from './accounts.ts';
import type { RequestLogEntry, SimulatorCore } from './core.ts';
import { formatUsd, usdToNumber } from './decimal.ts';
import { renderGeneration } from './generation-view.ts';
import type { GenerationRecord } from './generations.ts';

/**
 * A read-only view for tests: what each account was billed (exactly, as decimal strings, and as
 * numbers), every generation record and the request log. Snapshots are copies.
 */
export interface SimulatorState {
  accounts(): AccountSnapshot[];
  /** By bearer key or user id; never creates an account. */
  account(keyOrUserId: string): AccountSnapshot | undefined;
  generations(): GenerationSnapshot[];
  generation(id: string): GenerationSnapshot | undefined;
  requests(): RequestLogEntry[];
  /** Sum of usage.cost over every account. */
  totalBilled(): { usd: number; exact: string };
}

export interface AccountSnapshot {
  userId: string;
  totalCredits: number;
  /** Sum of every call's usage.cost, as /credits reports it. */
  totalUsage: number;
  totalUsageExact: string;
  /** What BYOK calls cost upstream (not charged to credits). */
  byokUsage: number;
  byokUsageExact: string;
  keys: KeySnapshot[];
}

export interface KeySnapshot {
  hash: string;
  name: string;
  label: string;
  kind: KeyRecord['kind'];
  byok: boolean;
  disabled: boolean;
  usage: number;
  usageExact: string;
  byokUsageExact: string;
  limit: number | null;
}

export interface GenerationSnapshot {
  id: string;
  userId: string;
  keyHash: string;
  /** usage.cost of the response, exactly. */
  costExact: string;
  costUsd: number;
  /** List price (what a BYOK provider account paid). */
  upstreamExact: string;
  completedAtMs: number;
  readyAtMs: number;
  /** The body of GET /generation (`data`). */
  data: Record<string, unknown>;
}

function accountSnapshot(account: Account): AccountSnapshot {
  return {
    userId: account.userId,
    totalCredits: usdToNumber(account.totalCredits),
    totalUsage: usdToNumber(account.totalUsage),
    totalUsageExact: formatUsd(account.totalUsage),
    byokUsage: usdToNumber(account.byokUsage),
    byokUsageExact: formatUsd(account.byokUsage),
    keys: [...account.keys.values()].map((k) => ({
      hash: k.hash,
      name: k.name,
      label: k.label,
      kind: k.kind,
      byok: k.byok,
      disabled: k.disabled,
      usage: usdToNumber(k.usage.total),
      usageExact: formatUsd(k.usage.total),
      byokUsageExact: formatUsd(k.byokUsage.total),
      limit: k.limit === null ? null : usdToNumber(k.limit),
    })),
  };
}

function generationSnapshot(record: GenerationRecord): GenerationSnapshot {
  return {
    id: record.id,
    userId: record.userId,
    keyHash: record.keyHash,
    costExact: formatUsd(record.charged),
    costUsd: usdToNumber(record.charged),
    upstreamExact: formatUsd(record.upstream),
    completedAtMs: record.completedAtMs,
    readyAtMs: record.readyAtMs,
    data: renderGeneration(record),
  };
}

export function createStateView(core: SimulatorCore): SimulatorState {
  return {
    accounts: () => [...core.accounts.accounts()].map(accountSnapshot),
    account(keyOrUserId) {
      const byKey = core.accounts.find(keyOrUserId);
      if (byKey !== undefined) return accountSnapshot(byKey.account);
      const account = [...core.accounts.accounts()].find((a) => a.userId === keyOrUserId);
      return account === undefined ? undefined : accountSnapshot(account);
    },
    generations: () => [...core.generations.all()].map(generationSnapshot),
    generation(id) {
      const record = core.generations.get(id);
      return record === undefined ? undefined : generationSnapshot(record);
    },
    requests: () => core.requestLog.toArray().map((entry) => ({ ...entry })),
    totalBilled() {
      let total = 0n;
      for (const account of core.accounts.accounts()) total += account.totalUsage;
      return { usd: usdToNumber(total), exact: formatUsd(total) };
    },
  };
}
