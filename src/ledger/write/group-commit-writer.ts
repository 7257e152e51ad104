import { LedgerError } from '../ledger-errors.ts';
import type { LedgerLogger } from '../ledger-types.ts';
import type { WriteJournal } from './journal.ts';
import type { Spool } from './spool.ts';
import type { WriteOp, WriteOpResult } from './write-ops.ts';

export interface GroupCommitWriterOptions {
  /**
   * Applies ops in one transaction; per op, whether it changed anything. May answer synchronously
   * (SQLite), which saves the promise hops.
   */
  apply(ops: readonly WriteOp[]): boolean[] | Promise<boolean[]>;
  isUnavailable(error: unknown): boolean;
  /** Where ops go while the database is unreachable; null: callers get `ledger_unavailable`. */
  spool: Spool | null;
  logger: LedgerLogger;
  /** Most ops per transaction (default 500). */
  maxBatch?: number;
  /** 0 (default): flush on the next turn of the event loop; otherwise wait up to this many ms to gather. */
  windowMs?: number;
  /** How often to try the database again while spooling (default 1000 ms). */
  retryMs?: number;
  /**
   * When idle (nothing queued, running or spooled, and nothing committed yet in this turn of the
   * event loop), commit an op at once inside `enqueue` instead of on the next turn. Ops arriving
   * later in the turn (callers a batch answered enqueue their next ops in the same turn) still
   * gather into one batch: at most one extra transaction per turn. Worth it only where a commit is
   * cheap and synchronous (SQLite without an fsync per commit): at concurrency 1 it saves the wait
   * for the next turn. Default false.
   */
  commitWhenIdle?: boolean;
  /**
   * Where ops are acknowledged before they are committed (journal.ts), or null. An op the caller
   * marks journalable, arriving while nothing else waits for a commit, is appended there and
   * answered at once; the database takes it `journalDelayMs` later with whatever has gathered
   * (or sooner: when an op that must wait for its commit arrives, on `flush`, and on
   * `commitJournaledNow`, which reads call first). Worth it only where a commit survives no more
   * than the journal does (SQLite with `synchronous=NORMAL`).
   */
  journal?: WriteJournal | null;
  /** How long journaled ops wait for company before they are committed (default 10 ms). */
  journalDelayMs?: number;
}

export interface WriterStats {
  /** Transactions committed (including spool replays). */
  batches: number;
  /** Ops committed to the database. */
  committedOps: number;
  /** Ops written to the local spool. */
  spooledOps: number;
  /** Ops replayed from a spool. */
  replayedOps: number;
  /** Ops acknowledged from the journal, before their commit. */
  journaledOps: number;
  largestBatch: number;
}

export interface WriterHealth {
  /** The last write reached the database, and nothing waits in the spool. */
  ready: boolean;
  spooling: boolean;
  spooledOps: number;
  queueDepth: number;
  lastError: string | null;
}

interface Pending {
  op: WriteOp;
  /** Acknowledged from the journal: nobody waits for this op's commit. */
  journaled: boolean;
  resolve(result: WriteOpResult): void;
  reject(error: unknown): void;
}

/** What a journaled op's caller is told: it survives a crash, and is as good as committed. */
const JOURNALED: WriteOpResult = Object.freeze({ applied: true, spooled: false });

/**
 * Group commit: callers enqueue ops; one transaction commits everything queued (up to `maxBatch`),
 * and each caller's promise settles only after its op is committed (or fsync'd to the spool).
 * While a transaction runs, the next batch gathers, so batches grow with load.
 */
export class GroupCommitWriter {
  readonly #options: Required<Omit<GroupCommitWriterOptions, 'spool' | 'journal'>> & {
    spool: Spool | null;
    journal: WriteJournal | null;
  };
  #queue: Pending[] = [];
  /** Journaled ops not yet committed (queued or in the batch being committed). */
  #journaledUncommitted = 0;
  /** The run journaled ops wait for, when nothing sooner is scheduled. */
  #journalTimer: NodeJS.Timeout | undefined;
  /** A journaled op could not be committed nor spooled: the journal file must outlive this process. */
  #journalStillNeeded = false;
  #running = false;
  #scheduled = false;
  #drainRequested = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];
  #closed = false;
  /** The writer committed in this turn of the event loop (reset by `setImmediate`). */
  #committedThisTurn = false;
  readonly #endTurn = () => {
    this.#committedThisTurn = false;
  };
  /**
   * A scheduled run, unless one is already under way (`commitJournaledNow` may have started it
   * early): that run goes on until the queue is empty.
   */
  readonly #runScheduled = () => {
    if (!this.#running) void this.#run();
  };
  #lastError: string | null = null;
  #unreachable = false;
  readonly #stats: WriterStats = {
    batches: 0,
    committedOps: 0,
    spooledOps: 0,
    replayedOps: 0,
    journaledOps: 0,
    largestBatch: 0,
  };

  constructor(options: GroupCommitWriterOptions) {
    this.#options = {
      maxBatch: 500,
      windowMs: 0,
      retryMs: 1000,
      commitWhenIdle: false,
      journalDelayMs: 10,
      ...options,
      journal: options.journal ?? null,
    };
  }

  /**
   * Queues `op`; resolves once it is committed (or spooled). With a journal, `journalable` says
   * whether this op may be acknowledged from the journal instead (asked only when that could
   * happen): the caller must then need nothing from the commit but its durability.
   */
  enqueue(op: WriteOp, journalable?: () => boolean): Promise<WriteOpResult> {
    if (this.#closed) return Promise.reject(new LedgerError('ledger_closed', 'The ledger is closed.'));
    if (journalable && this.#mayJournal() && journalable() && this.#journal(op))
      return Promise.resolve(JOURNALED);
    return new Promise((resolve, reject) => {
      const pending = { op, journaled: false, resolve, reject };
      if (this.#idle()) {
        this.#commitAtOnce(pending);
        return;
      }
      this.#queue.push(pending);
      this.#schedule();
    });
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Whether an op passing `test` waits in the queue (not yet committed). */
  hasQueued(test: (op: WriteOp) => boolean): boolean {
    return this.#queue.some((pending) => test(pending.op));
  }

  /**
   * Commits journaled ops now rather than after their delay, synchronously when `apply` is (so
   * a read that follows sees them). Does nothing while a batch is being committed: that run
   * goes on until the queue is empty.
   */
  commitJournaledNow(): void {
    if (this.#journaledUncommitted === 0 || this.#running) return;
    void this.#run();
  }

  get stats(): Readonly<WriterStats> {
    return { ...this.#stats };
  }

  health(): WriterHealth {
    const spooledOps = this.#options.spool?.pendingOps ?? 0;
    return {
      ready: !this.#unreachable && spooledOps === 0,
      spooling: spooledOps > 0,
      spooledOps,
      queueDepth: this.#queue.length,
      lastError: this.#lastError,
    };
  }

  /** What a heartbeat learned about the database, for `health()` between writes. */
  noteDatabaseReachable(reachable: boolean, error?: unknown): void {
    if (reachable) {
      if (this.#unreachable) this.#options.logger.info({}, 'ledger: database reachable again');
      this.#unreachable = false;
      if ((this.#options.spool?.pendingOps ?? 0) > 0) this.#scheduleRetry();
    } else {
      this.#noteUnreachable(error);
    }
  }

  /** Resolves once everything queued so far is committed or spooled. */
  flush(): Promise<void> {
    this.commitJournaledNow();
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Tries to replay the spool now; resolves true when it is empty afterwards. */
  async retrySpool(): Promise<boolean> {
    this.#drainRequested = true;
    this.#schedule();
    await this.flush();
    return (this.#options.spool?.pendingOps ?? 0) === 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if ((this.#options.spool?.pendingOps ?? 0) > 0) await this.retrySpool();
    clearTimeout(this.#retryTimer);
    this.#options.journal?.close(this.#journaledUncommitted === 0 && !this.#journalStillNeeded);
  }

  /** Nothing waits for a commit now: every queued op (if any) was journaled. */
  #mayJournal(): boolean {
    return (
      this.#options.journal !== null &&
      !this.#running &&
      !this.#drainRequested &&
      this.#queue.length === this.#journaledUncommitted &&
      this.#queue.length < this.#options.maxBatch &&
      (this.#options.spool?.pendingOps ?? 0) === 0
    );
  }

  /** Appends `op` to the journal and queues it, acknowledged; false when the journal refused it. */
  #journal(op: WriteOp): boolean {
    try {
      this.#options.journal?.append(op);
    } catch (error) {
      this.#options.logger.warn({ err: String(error) }, 'ledger: journal not writable; committing instead');
      return false;
    }
    this.#queue.push({
      op,
      journaled: true,
      resolve: () => {},
      reject: (error: unknown) => {
        // Kept in the journal file, which the next process to open the ledger replays.
        this.#journalStillNeeded = true;
        this.#options.logger.error(
          { err: error instanceof Error ? error.message : String(error), op: op.kind },
          'ledger: a journaled write was not committed; it stays in the journal',
        );
      },
    });
    this.#journaledUncommitted += 1;
    this.#stats.journaledOps += 1;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#journalTimer = setTimeout(this.#runScheduled, this.#options.journalDelayMs);
    }
    return true;
  }

  #idle(): boolean {
    return (
      this.#options.commitWhenIdle &&
      !this.#committedThisTurn &&
      !this.#running &&
      !this.#scheduled &&
      !this.#drainRequested &&
      this.#queue.length === 0 &&
      (this.#options.spool?.pendingOps ?? 0) === 0
    );
  }

  /** The idle path: one op, committed before `enqueue` returns when `apply` answers synchronously. */
  #commitAtOnce(pending: Pending): void {
    this.#noteTurn();
    let applied: boolean[] | Promise<boolean[]>;
    try {
      applied = this.#options.apply([pending.op]);
    } catch (error) {
      void this.#run(() => this.#failed([pending], error));
      return;
    }
    if (Array.isArray(applied)) this.#settle([pending], applied);
    else void this.#run(() => this.#settleLater([pending], applied));
  }

  /**
   * Marks this turn as one the writer committed in: callers answered by a batch go on (in the
   * same turn) to enqueue their next ops, which must gather into the next batch, not commit alone.
   */
  #noteTurn(): void {
    if (!this.#options.commitWhenIdle || this.#committedThisTurn) return;
    this.#committedThisTurn = true;
    setImmediate(this.#endTurn);
  }

  #schedule(): void {
    if (this.#running) return;
    if (this.#journalTimer !== undefined) {
      // Journaled ops waiting for company: an op whose caller waits is company enough.
      clearTimeout(this.#journalTimer);
      this.#journalTimer = undefined;
      this.#scheduled = false;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    const { windowMs, maxBatch } = this.#options;
    if (windowMs > 0 && this.#queue.length < maxBatch) setTimeout(this.#runScheduled, windowMs);
    else setImmediate(this.#runScheduled);
  }

  /** Commits what is queued until nothing is; `first`, when given, is work to finish before that. */
  async #run(first?: () => Promise<void>): Promise<void> {
    clearTimeout(this.#journalTimer);
    this.#journalTimer = undefined;
    this.#scheduled = false;
    this.#running = true;
    try {
      if (first) await first();
      while (this.#queue.length > 0 || this.#drainRequested) {
        if (this.#queue.length === 0) {
          this.#drainRequested = false;
          if (!(await this.#drainSpool())) this.#scheduleRetry();
          continue;
        }
        const batch = this.#queue.splice(0, this.#options.maxBatch);
        await this.#commit(batch);
        this.#noteJournaledDone(batch);
      }
    } finally {
      this.#running = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const spool = this.#options.spool;
    if (spool && spool.pendingOps > 0 && !(await this.#drainSpool())) {
      await this.#spoolBatch(batch);
      return;
    }
    let applied: boolean[] | Promise<boolean[]>;
    try {
      applied = this.#options.apply(batch.map((pending) => pending.op));
    } catch (error) {
      await this.#failed(batch, error);
      return;
    }
    if (Array.isArray(applied)) this.#settle(batch, applied);
    else await this.#settleLater(batch, applied);
  }

  /** The batch's journaled ops are committed, spooled or refused: the journal may restart. */
  #noteJournaledDone(batch: readonly Pending[]): void {
    if (this.#journaledUncommitted === 0) return;
    let journaled = 0;
    for (const pending of batch) if (pending.journaled) journaled += 1;
    if (journaled === 0) return;
    this.#journaledUncommitted -= journaled;
    if (this.#journaledUncommitted === 0 && !this.#journalStillNeeded) this.#options.journal?.committedAll();
  }

  #settle(batch: Pending[], applied: boolean[]): void {
    this.#noteTurn();
    this.#recordCommit(batch.length);
    for (const [index, pending] of batch.entries()) {
      pending.resolve({ applied: applied[index] ?? false, spooled: false });
    }
  }

  async #settleLater(batch: Pending[], applying: Promise<boolean[]>): Promise<void> {
    let applied: boolean[];
    try {
      applied = await applying;
    } catch (error) {
      await this.#failed(batch, error);
      return;
    }
    this.#settle(batch, applied);
  }

  /** A batch that failed: spool it (database unreachable), or find and refuse the bad op. */
  async #failed(batch: Pending[], error: unknown): Promise<void> {
    if (this.#options.isUnavailable(error)) {
      this.#noteUnreachable(error);
      if (this.#options.spool) await this.#spoolBatch(batch);
      else {
        const failure = new LedgerError('ledger_unavailable', 'The ledger database is unreachable.', {
          cause: error,
        });
        for (const pending of batch) pending.reject(failure);
      }
      return;
    }
    if (batch.length === 1) {
      batch[0]?.reject(error);
      return;
    }
    // Bad data in one op must not fail the others: commit them one by one to find it.
    for (const pending of batch) await this.#commit([pending]);
  }

  #recordCommit(size: number): void {
    this.#stats.batches += 1;
    this.#stats.committedOps += size;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, size);
    if (this.#unreachable) this.#options.logger.info({}, 'ledger: database reachable again');
    this.#unreachable = false;
  }

  #noteUnreachable(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
    if (!this.#unreachable) {
      this.#options.logger.error(
        { err: this.#lastError },
        'ledger: database unreachable; spooling writes locally',
      );
    }
    this.#unreachable = true;
  }

  async #spoolBatch(batch: Pending[]): Promise<void> {
    const spool = this.#options.spool;
    try {
      if (!spool) throw new LedgerError('ledger_unavailable', 'No spool configured.');
      await spool.append(batch.map((pending) => pending.op));
      this.#stats.spooledOps += batch.length;
      for (const pending of batch) pending.resolve({ applied: false, spooled: true });
      this.#scheduleRetry();
    } catch (error) {
      const failure = new LedgerError(
        'ledger_unavailable',
        'The ledger database and its spool are unavailable.',
        {
          cause: error,
        },
      );
      for (const pending of batch) pending.reject(failure);
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#drainRequested = true;
      this.#schedule();
    }, this.#options.retryMs);
    this.#retryTimer.unref();
  }

  /** Replays the spool in order, chunk by chunk; true when it is empty afterwards. */
  async #drainSpool(): Promise<boolean> {
    const spool = this.#options.spool;
    if (!spool || spool.pendingOps === 0) return true;
    const ops = await spool.read();
    const size = this.#options.maxBatch;
    for (let start = 0; start < ops.length; start += size) {
      const chunk = ops.slice(start, start + size);
      try {
        await this.#options.apply(chunk);
        this.#recordCommit(chunk.length);
      } catch (error) {
        if (this.#options.isUnavailable(error)) {
          this.#noteUnreachable(error);
          return false;
        }
        if (!(await this.#replayOneByOne(spool, chunk))) return false;
      }
    }
    this.#stats.replayedOps += ops.length;
    await spool.clear();
    this.#options.logger.info({ ops: ops.length }, 'ledger: spool replayed');
    return true;
  }

  async #replayOneByOne(spool: Spool, chunk: WriteOp[]): Promise<boolean> {
    for (const op of chunk) {
      try {
        await this.#options.apply([op]);
        this.#recordCommit(1);
      } catch (error) {
        if (this.#options.isUnavailable(error)) {
          this.#noteUnreachable(error);
          return false;
        }
        const reason = error instanceof Error ? error.message : String(error);
        this.#options.logger.error(
          { err: reason, op: op.kind },
          'ledger: spooled op refused by the database',
        );
        await spool.reject(op, reason);
      }
    }
    return true;
  }
}
