import { type Clock, systemClock } from '../shared/clock.ts';
import { type LedgerLogger, silentLogger } from './ledger-types.ts';
import { GenerationFetchTimeoutError, isGenerationSourceUnavailable } from './reconcile/fetch-failure.ts';
import {
  type FetchGeneration,
  type FetchGenerationResult,
  parseGenerationRecord,
} from './reconcile/generation-record.ts';
import type { DueGeneration, ReconcileStore } from './reconcile/reconcile-store.ts';

export interface ReconcilerOptions {
  store: ReconcileStore;
  fetchGeneration: FetchGeneration;
  clock?: Clock;
  logger?: LedgerLogger;
  /** Rows claimed per run (default 50). */
  batchSize?: number;
  /** Concurrent fetches (default 4). */
  concurrency?: number;
  /** Pause between runs when nothing was due (default 1000 ms). */
  intervalMs?: number;
  /**
   * Attempts before giving up on a generation that keeps 404ing or failing (default 8). Only misses
   * of the row count: a run that finds OpenRouter unavailable stops without using any.
   */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 1000 ms), capped at `maxDelayMs` (default 10 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed row is hidden from other reconcilers (default 60 s). */
  leaseMs?: number;
  /** Per-fetch timeout (default 15 s). */
  fetchTimeoutMs?: number;
}

export interface ReconcileRunSummary {
  claimed: number;
  reconciled: number;
  costChanged: number;
  notFound: number;
  failed: number;
  gaveUp: number;
  /**
   * Claimed rows handed back untried (attempts unchanged, due again at once) because the run
   * stopped early: see `stoppedBy`.
   */
  released: number;
  /**
   * Set when the run stopped early because OpenRouter could not answer for any row: the key was
   * refused (401/403), it rate-limited (429) or failed (5xx), timed out, or could not be reached.
   * The error as thrown by the fetch function, for the caller to describe.
   */
  stoppedBy?: unknown;
}

/** Longest pause of the background loop while OpenRouter stays unavailable. */
const MAX_OUTAGE_PAUSE_MS = 60_000;

/** The delay before attempt `attempt + 1`, after `attempt` misses (pure). */
export function reconcileBackoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Pull-based reconciliation: claims completed rows with a generation id whose `next_reconcile_at`
 * is due, fetches `GET /generation` through the given function, stores the billed figures, and
 * backs off exponentially while the record 404s (bounded; then gives up, leaving
 * `next_reconcile_at` empty and `reconciled_at` unset). All state is in the table, so a restarted
 * process carries on where the last one stopped.
 */
export class Reconciler {
  readonly #options: Required<Omit<ReconcilerOptions, 'clock' | 'logger'>> & {
    clock: Clock;
    logger: LedgerLogger;
  };
  #loop: Promise<void> | undefined;
  #stopper: AbortController | undefined;

  constructor(options: ReconcilerOptions) {
    this.#options = {
      clock: systemClock,
      logger: silentLogger,
      batchSize: 50,
      concurrency: 4,
      intervalMs: 1000,
      maxAttempts: 8,
      baseDelayMs: 1000,
      maxDelayMs: 600_000,
      leaseMs: 60_000,
      fetchTimeoutMs: 15_000,
      ...options,
    };
  }

  /**
   * One pass over what is due now. Stops taking rows at the first failure that is OpenRouter's
   * rather than the row's (see fetch-failure.ts), and hands the untried rows back unchanged.
   */
  async runOnce(signal?: AbortSignal): Promise<ReconcileRunSummary> {
    const { store, clock, batchSize, concurrency, leaseMs } = this.#options;
    const due = await store.claimDue(clock.now(), batchSize, leaseMs);
    const summary: ReconcileRunSummary = {
      claimed: due.length,
      reconciled: 0,
      costChanged: 0,
      notFound: 0,
      failed: 0,
      gaveUp: 0,
      released: 0,
    };
    const untried: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < due.length && !signal?.aborted && summary.stoppedBy === undefined) {
        const item = due[next++];
        if (item && !(await this.#reconcileOne(item, summary, signal))) untried.push(item.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    // Rows never taken (a stop or an outage) go back now rather than after the lease: the next
    // run, or the user's rerun once the key or network is fixed, finds them due.
    for (const item of due.slice(next)) untried.push(item.id);
    if ((summary.stoppedBy !== undefined || signal?.aborted) && untried.length > 0) {
      await store.release(untried, clock.now());
      summary.released = untried.length;
    }
    return summary;
  }

  /** Age of the oldest completed row waiting for reconciliation (for metrics). */
  lagMs(): Promise<number | null> {
    return this.#options.store.lagMs(this.#options.clock.now());
  }

  start(): void {
    if (this.#loop) return;
    const stopper = new AbortController();
    this.#stopper = stopper;
    this.#loop = (async () => {
      const { intervalMs, logger } = this.#options;
      let outages = 0;
      while (!stopper.signal.aborted) {
        let pauseMs = intervalMs;
        try {
          const summary = await this.runOnce(stopper.signal);
          if (summary.stoppedBy !== undefined) {
            // Ask again later, less often the longer it lasts; the rows keep their attempts.
            outages += 1;
            pauseMs = reconcileBackoffMs(outages + 1, intervalMs, Math.max(intervalMs, MAX_OUTAGE_PAUSE_MS));
            logger.warn(
              { err: String(summary.stoppedBy), released: summary.released, retryInMs: pauseMs },
              'ledger: OpenRouter unavailable for reconciliation; rows keep their attempts',
            );
          } else {
            outages = 0;
            if (summary.claimed >= this.#options.batchSize) continue;
          }
        } catch (error) {
          logger.warn({ err: String(error) }, 'ledger: reconciliation run failed');
        }
        await this.#options.clock.sleep(pauseMs, stopper.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopper?.abort(new Error('reconciler stopped'));
    await this.#loop;
    this.#loop = undefined;
    this.#stopper = undefined;
  }

  /** Reconciles or records a miss for one row; false when it was left untried (an outage, a stop). */
  async #reconcileOne(
    item: DueGeneration,
    summary: ReconcileRunSummary,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const { store, clock, fetchGeneration, fetchTimeoutMs, logger } = this.#options;
    try {
      const result = await fetchWithTimeout(fetchGeneration, item.generationId, fetchTimeoutMs, signal);
      if (result.status === 'found') {
        const outcome = await store.applyGeneration(
          item.id,
          parseGenerationRecord(result.record),
          clock.now(),
        );
        summary.reconciled += 1;
        if (outcome?.costChanged) summary.costChanged += 1;
        return true;
      }
      summary.notFound += 1;
    } catch (error) {
      if (signal?.aborted) return false;
      if (isGenerationSourceUnavailable(error)) {
        summary.stoppedBy ??= error;
        return false;
      }
      summary.failed += 1;
      logger.warn({ err: String(error), generationId: item.generationId }, 'ledger: generation fetch failed');
    }
    const attempts = item.attempts + 1;
    if (attempts >= this.#options.maxAttempts) {
      summary.gaveUp += 1;
      logger.warn({ generationId: item.generationId, attempts }, 'ledger: gave up reconciling a generation');
      await store.recordMiss(item.id, attempts, null);
      return true;
    }
    const delay = reconcileBackoffMs(attempts, this.#options.baseDelayMs, this.#options.maxDelayMs);
    await store.recordMiss(item.id, attempts, clock.now() + delay);
    return true;
  }
}

/**
 * One fetch under a deadline and the reconciler's stop signal. A plain controller, a cleared timer
 * and a removed listener: composing AbortSignal.timeout() with AbortSignal.any() per fetch leaked
 * about 1.5 KB a row in Node 24 (those signals stay referenced internally).
 */
async function fetchWithTimeout(
  fetchGeneration: FetchGeneration,
  generationId: string,
  timeoutMs: number,
  stop: AbortSignal | undefined,
): Promise<FetchGenerationResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new GenerationFetchTimeoutError(timeoutMs)), timeoutMs);
  const onStop = () => controller.abort(stop?.reason);
  if (stop?.aborted) onStop();
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    return await fetchGeneration(generationId, controller.signal);
  } catch (error) {
    // The fetch function reports its own abort; say it was this deadline, which is OpenRouter's.
    if (controller.signal.reason instanceof GenerationFetchTimeoutError) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  return new Reconciler(options);
}
