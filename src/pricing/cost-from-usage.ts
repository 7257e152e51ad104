/**
 * The cost OpenRouter billed, as reported in a response's `usage` (§4.3, §12.1, §12.3). Absent or
 * unreadable means unknown, never 0: the caller then estimates and later reconciles.
 */
import { type Money, MoneyFormatError, moneyFromUsd } from '../shared/money.ts';
import type { UsageLike } from './usage.ts';

interface UsageCostCommon {
  readonly source: 'usage';
  /** `usage.is_byok`: the request ran on the caller's own provider key. */
  readonly isByok: boolean;
  /**
   * `cost_details.upstream_inference_cost`, when given. For BYOK it is what the provider charged
   * the caller's own provider account, on top of (not inside) `cost`; otherwise informational
   * (what OpenRouter paid upstream, often equal to `cost`).
   */
  readonly upstreamInferenceCost?: Money;
}

export interface KnownUsageCost extends UsageCostCommon {
  readonly known: true;
  /** `usage.cost`: what OpenRouter charged the account (for BYOK, its fee only; may be 0). */
  readonly cost: Money;
}

export interface UnknownUsageCost extends UsageCostCommon {
  readonly known: false;
  /** Why the cost is unknown, for logs. */
  readonly reason: string;
}

export type UsageCost = KnownUsageCost | UnknownUsageCost;

type AmountReading = { readonly amount: Money } | { readonly problem: string } | undefined;

function readAmount(name: string, value: unknown): AmountReading {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' && typeof value !== 'string') {
    return { problem: `${name} is not a number: ${JSON.stringify(value)}` };
  }
  try {
    const amount = moneyFromUsd(value);
    if (amount < 0n) return { problem: `${name} is negative: ${String(value)}` };
    return { amount };
  } catch (error) {
    if (error instanceof MoneyFormatError)
      return { problem: `${name} is not a USD amount: ${String(value)}` };
    throw error;
  }
}

/** Reads the billed cost from `usage`, exactly (0.0009056 → 905_600_000 picodollars). */
export function costFromUsage(usage: UsageLike | null | undefined): UsageCost {
  const isByok = usage?.is_byok === true;
  const upstream = readAmount(
    'usage.cost_details.upstream_inference_cost',
    usage?.cost_details?.upstream_inference_cost,
  );
  const common: UsageCostCommon =
    upstream && 'amount' in upstream
      ? { source: 'usage', isByok, upstreamInferenceCost: upstream.amount }
      : { source: 'usage', isByok };
  if (!usage) return { ...common, known: false, reason: 'the response has no usage' };
  const cost = readAmount('usage.cost', usage.cost);
  if (cost === undefined) return { ...common, known: false, reason: 'usage.cost is absent' };
  if ('problem' in cost) return { ...common, known: false, reason: cost.problem };
  return { ...common, known: true, cost: cost.amount };
}
