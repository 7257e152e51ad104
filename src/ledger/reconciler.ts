import { type Clock, systemClock } from '../shared/clock.ts';
import { type LedgerLogger, silentLogger } from './ledger-types.ts';
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
  /** Attempts before giving up on a generation that keeps 404ing or failing (default 8). */
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
}

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

  /** One pass over what is due now. */
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
    };
    let next = 0;
    const worker = async () => {
      while (next < due.length && !signal?.aborted) {
        const item = due[next++];
        if (item) await this.#reconcileOne(item, summary, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
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
      while (!stopper.signal.aborted) {
        try {
          const summary = await this.runOnce(stopper.signal);
          if (summary.claimed >= this.#options.batchSize) continue;
        } catch (error) {
          this.#options.logger.warn({ err: String(error) }, 'ledger: reconciliation run failed');
        }
        await this.#options.clock.sleep(this.#options.intervalMs, stopper.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopper?.abort(new Error('reconciler stopped'));
    await this.#loop;
    this.#loop = undefined;
    this.#stopper = undefined;
  }

  async #reconcileOne(
    item: DueGeneration,
    summary: ReconcileRunSummary,
    signal?: AbortSignal,
  ): Promise<void> {
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
        return;
      }
      summary.notFound += 1;
    } catch (error) {
      if (signal?.aborted) return;
      summary.failed += 1;
      logger.warn({ err: String(error), generationId: item.generationId }, 'ledger: generation fetch failed');
    }
    const attempts = item.attempts + 1;
    if (attempts >= this.#options.maxAttempts) {
      summary.gaveUp += 1;
      logger.warn({ generationId: item.generationId, attempts }, 'ledger: gave up reconciling a generation');
      await store.recordMiss(item.id, attempts, null);
      return;
    }
    const delay = reconcileBackoffMs(attempts, this.#options.baseDelayMs, this.#options.maxDelayMs);
    await store.recordMiss(item.id, attempts, clock.now() + delay);
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
  const timer = setTimeout(
    () => controller.abort(new Error(`GET /generation timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onStop = () => controller.abort(stop?.reason);
  if (stop?.aborted) onStop();
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    return await fetchGeneration(generationId, controller.signal);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  return new Reconciler(options);
}
