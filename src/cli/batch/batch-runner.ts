/**
 * Runs batch items with bounded concurrency under an optional cost cap, writing one output line
 * per finished item. Stopping never leaves a partial line:
 *
 * - `stop()` (first Ctrl-C): no new call starts; calls in flight finish and are written.
 * - `abort()` (second Ctrl-C): calls in flight are aborted; their lines are not written, so a
 *   rerun does them again (their ledger rows say `cancelled`).
 * - cost cap: before a call starts, spent (by earlier runs on this output too) + the worst cases
 *   of calls in flight + this call's worst case must stay within the cap; otherwise the runner waits for calls in flight to settle and
 *   checks again, and stops when nothing is in flight and the next call still does not fit. As a
 *   call's cost never exceeds its worst case, the spend never exceeds the cap.
 * - a fatal error (bad key, no credits, a budget exhausted, the ledger gone): every further call
 *   would fail the same way, so the runner stops and that item's line is not written.
 */
import type { Money } from '../../shared/money.ts';
import type { BatchItem } from './batch-input.ts';
import type { BatchRecord } from './batch-output.ts';

export type StopReason = 'complete' | 'interrupted' | 'max-cost' | 'fatal';

/** What one call produced: the line to write and what it cost (null: unknown). */
export interface CallOutcome {
  record: BatchRecord;
  cost: Money | null;
  failed: boolean;
}

export interface BatchRunnerOptions {
  items: readonly BatchItem[];
  concurrency: number;
  maxCost?: Money | undefined;
  /** Spent by earlier runs on the same output: counts against `maxCost`. */
  priorSpent?: Money;
  /** The most the item's call can cost; required with `maxCost`. */
  worstCase?: (item: BatchItem) => Promise<Money>;
  /** Makes the call. Throws only for fatal errors (`isFatal`) and aborts; otherwise returns an outcome. */
  call: (item: BatchItem, signal: AbortSignal) => Promise<CallOutcome>;
  write: (record: BatchRecord) => void;
  onProgress?: (progress: BatchProgress) => void;
}

export interface BatchProgress {
  total: number;
  done: number;
  failed: number;
  inFlight: number;
  spent: Money;
  startedAt: number;
}

export interface BatchResult extends BatchProgress {
  stopReason: StopReason;
  /** Items never started (stopped early). */
  notStarted: number;
  /** Calls aborted in flight: not written, they run again on the next run. */
  aborted: number;
  fatalError: unknown;
  elapsedMs: number;
}

export class BatchRunner {
  readonly #options: BatchRunnerOptions;
  readonly #abort = new AbortController();
  #stopReason: StopReason | undefined;
  #fatalError: unknown;
  #spent: Money = 0n;
  #reserved: Money = 0n;
  #done = 0;
  #failed = 0;
  #aborted = 0;
  #inFlight = 0;
  #startedAt = Date.now();

  constructor(options: BatchRunnerOptions) {
    if (options.maxCost !== undefined && !options.worstCase) throw new Error('maxCost needs worstCase');
    this.#options = options;
  }

  /** Start no new calls; let the ones in flight finish. */
  stop(): void {
    this.#stopReason ??= 'interrupted';
  }

  /** Stop and abort the calls in flight. */
  abort(): void {
    this.stop();
    this.#abort.abort(new Error('batch aborted'));
  }

  get stopping(): boolean {
    return this.#stopReason !== undefined;
  }

  progress(): BatchProgress {
    return {
      total: this.#options.items.length,
      done: this.#done,
      failed: this.#failed,
      inFlight: this.#inFlight,
      spent: this.#spent,
      startedAt: this.#startedAt,
    };
  }

  async run(): Promise<BatchResult> {
    const { items, concurrency, maxCost, worstCase } = this.#options;
    this.#startedAt = Date.now();
    const running = new Set<Promise<void>>();
    let next = 0;
    while (next < items.length && this.#stopReason === undefined) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      const item = items[next];
      if (!item) break;
      let reserve: Money = 0n;
      if (maxCost !== undefined && worstCase) {
        try {
          reserve = await worstCase(item);
        } catch (error) {
          // No bound, no call: the cap could not be honoured for this item (an unknown model).
          this.#fatalError ??= error;
          this.#stopReason ??= 'fatal';
          break;
        }
        if (this.#stopReason !== undefined) break;
        const prior = this.#options.priorSpent ?? 0n;
        if (prior + this.#spent + this.#reserved + reserve > maxCost) {
          if (running.size > 0) {
            await Promise.race(running);
            continue;
          }
          this.#stopReason = 'max-cost';
          break;
        }
      }
      next += 1;
      this.#reserved += reserve;
      this.#inFlight += 1;
      const task: Promise<void> = this.#runOne(item, reserve).finally(() => {
        this.#reserved -= reserve;
        this.#inFlight -= 1;
        running.delete(task);
        this.#options.onProgress?.(this.progress());
      });
      running.add(task);
    }
    await Promise.all(running);
    return {
      ...this.progress(),
      stopReason: this.#stopReason ?? 'complete',
      notStarted: items.length - next,
      aborted: this.#aborted,
      fatalError: this.#fatalError,
      elapsedMs: Date.now() - this.#startedAt,
    };
  }

  async #runOne(item: BatchItem, reserve: Money): Promise<void> {
    const signal = this.#abort.signal;
    try {
      const outcome = await this.#options.call(item, signal);
      // An unknown cost counts at its worst case: the cap must hold whatever the bill says later.
      this.#spent += outcome.cost ?? reserve;
      this.#options.write(outcome.record);
      if (outcome.failed) this.#failed += 1;
      else this.#done += 1;
    } catch (error) {
      // Neither case adds to `spent`: it counts what finished calls cost. An aborted call may have
      // been billed for what it produced; its ledger row (status cancelled) holds that.
      if (signal.aborted) {
        this.#aborted += 1;
        return;
      }
      // A fatal error: stop everything; this item stays unwritten so a rerun retries it.
      this.#fatalError ??= error;
      this.#stopReason ??= 'fatal';
    }
  }
}
