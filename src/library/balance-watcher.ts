import type { OpenRouterClient } from '../client/index.ts';
import type { LedgerLogger } from '../ledger/index.ts';
import type { BalanceSource } from '../metering/index.ts';
import type { Clock } from '../shared/clock.ts';
import { type Money, moneyFromUsd, moneyToUsdString } from '../shared/money.ts';

export interface Balance {
  /** The account's credits (`/credits`; needs a management key, else undefined). */
  credits: { total: Money; used: Money; remaining: Money } | undefined;
  /** The calling key's limit (`/key`); `limitRemaining` undefined when the key is unlimited. */
  key: {
    label: string | undefined;
    usage: Money;
    limit: Money | undefined;
    limitRemaining: Money | undefined;
  };
  /** The least of the two remainders, less what this process spent since they were read. */
  remaining: Money | undefined;
  fetchedAt: number;
}

export interface BalanceWatcherOptions {
  client: OpenRouterClient;
  clock: Clock;
  logger?: LedgerLogger | undefined;
  /** How long a reading is trusted before `/key` and `/credits` are read again. */
  ttlMs?: number;
  /** Warn (once per reading) when the remaining balance falls below this. */
  lowBalanceWarning?: Money | undefined;
}

/**
 * Reads OpenRouter's own view of what is left to spend (the key's remaining limit and the
 * account's credits), caches it, and counts this process's spending since, so calls whose worst
 * case cannot be covered are refused locally instead of collecting a 402.
 */
export class BalanceWatcher implements BalanceSource {
  readonly #options: BalanceWatcherOptions;
  #reading: Balance | undefined;
  #spentSince = 0n;
  #refreshing: Promise<Balance> | undefined;
  #warned = false;

  constructor(options: BalanceWatcherOptions) {
    this.#options = options;
  }

  /** Synchronous, for the hot path: the last reading less local spend; starts a refresh when stale. */
  remaining(): Money | undefined {
    const reading = this.#reading;
    if (!reading || this.#options.clock.now() - reading.fetchedAt > (this.#options.ttlMs ?? 30_000)) {
      void this.refresh().catch(() => undefined);
    }
    if (reading?.remaining === undefined) return undefined;
    return reading.remaining - this.#spentSince;
  }

  /** Counts a finished call's cost (or its worst case when unknown) until the next reading. */
  recordSpend(amount: Money): void {
    this.#spentSince += amount;
    const remaining = this.remaining();
    const threshold = this.#options.lowBalanceWarning;
    if (remaining !== undefined && threshold !== undefined && remaining < threshold && !this.#warned) {
      this.#warned = true;
      this.#options.logger?.warn(
        { remainingUsd: moneyToUsdString(remaining), thresholdUsd: moneyToUsdString(threshold) },
        'OpenRouter balance is low: add credits or raise the key limit',
      );
    }
  }

  /** Reads `/key` and `/credits` now (de-duplicated when already under way). */
  refresh(): Promise<Balance> {
    this.#refreshing ??= this.#read().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #read(): Promise<Balance> {
    const { client, clock } = this.#options;
    const [key, credits] = await Promise.all([
      client.key.get(),
      // Only management keys may read /credits; a normal key's 403 just means "unknown here".
      client.credits.get().then(
        (result) => result.data,
        () => undefined,
      ),
    ]);
    const limitRemaining =
      key.data.limit_remaining == null ? undefined : moneyFromUsd(key.data.limit_remaining);
    const creditsRemaining = credits
      ? moneyFromUsd(credits.total_credits) - moneyFromUsd(credits.total_usage)
      : undefined;
    const candidates = [limitRemaining, creditsRemaining].filter(
      (value): value is Money => value !== undefined,
    );
    const reading: Balance = {
      credits: credits
        ? {
            total: moneyFromUsd(credits.total_credits),
            used: moneyFromUsd(credits.total_usage),
            remaining: creditsRemaining ?? 0n,
          }
        : undefined,
      key: {
        label: key.data.label ?? undefined,
        usage: moneyFromUsd(key.data.usage ?? 0),
        limit: key.data.limit == null ? undefined : moneyFromUsd(key.data.limit),
        limitRemaining,
      },
      remaining: candidates.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0],
      fetchedAt: clock.now(),
    };
    this.#reading = reading;
    this.#spentSince = 0n;
    this.#warned = false;
    return reading;
  }
}
