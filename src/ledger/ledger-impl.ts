import type { Clock } from '../shared/clock.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { Money } from '../shared/money.ts';
import type { StoreBackend } from './backend/store-backend.ts';
import { Budgets } from './budgets/budgets.ts';
import { GatewayKeys } from './keys/gateway-keys.ts';
import type { Ledger, LedgerHealth } from './ledger.ts';
import { LedgerError } from './ledger-errors.ts';
import type {
  BeginRequest,
  BegunRequest,
  CompleteResult,
  ImportRow,
  LedgerLogger,
  RequestOutcome,
} from './ledger-types.ts';
import { type BillDay, compareLedgerWithBill, type LedgerVsBillReport } from './ledger-vs-bill.ts';
import { Heartbeat } from './maintenance/heartbeat.ts';
import { importRows } from './maintenance/import-rows.ts';
import {
  type InstanceIdentity,
  instanceCensus,
  processAlive,
  registerInstance,
  removeInstance,
} from './maintenance/instances.ts';
import { replayOrphanSpools } from './maintenance/replay-orphans.ts';
import { sweepInterrupted } from './maintenance/sweep-interrupted.ts';
import type { FetchGeneration } from './reconcile/generation-record.ts';
import { createReconcileStore, type ReconcileStore } from './reconcile/reconcile-store.ts';
import { Reconciler, type ReconcilerOptions } from './reconciler.ts';
import { Reports } from './reports.ts';
import { getBodies, getRequest, getRequestByGenerationId } from './request-reads.ts';
import { GroupCommitWriter } from './write/group-commit-writer.ts';
import { WriteJournal } from './write/journal.ts';
import { completionValues, optionalText, pendingRowValues, rowIdentity } from './write/row-values.ts';
import { Spool } from './write/spool.ts';
import type { BegunAttribution, WriteOp } from './write/write-ops.ts';

export interface LedgerSettings {
  clock: Clock;
  logger: LedgerLogger;
  instance: InstanceIdentity;
  isProcessAlive: ((pid: number) => boolean) | undefined;
  /** When this process started, on the ledger clock (tells a previous incarnation with our pid). */
  processStartedAt: number;
  spoolDir: string | null;
  maxBatch: number;
  batchWindowMs: number;
  /** Journaled writes, committed this long after (open-ledger.ts); null: off. */
  journalDelayMs: number | null;
  spoolRetryMs: number;
  heartbeatMs: number;
  staleInstanceMs: number;
  stalePendingMs: number;
  reconcileAfterMs: number | null;
  reservationTtlMs: number;
  faults: { beforeWrite?: (ops: readonly WriteOp[]) => void } | undefined;
}

const DAY_MS = 86_400_000;
/**
 * Journaled writes pay off only when few calls are under way: each would otherwise pay for a
 * commit of its own, on its path. With more in flight, group commit already shares commits
 * among them, and the journal's own cost (a JSON line and a write per op, the id check) would
 * be a tax on every call (measured at c=64: some 20–30% more gateway CPU per call).
 */
const JOURNAL_WHILE_IN_FLIGHT_AT_MOST = 4;
/**
 * Rows begun here and not yet completed whose attribution is kept for their completion. A caller
 * that never completes must not grow it without end: past this, the oldest is forgotten (its
 * completion then reads the row back, as after a restart).
 */
const MAX_CARRIED_ATTRIBUTIONS = 65_536;
/**
 * Ids minted by `newRequestId` and not yet begun. A caller begins the id it minted within the
 * same call (or never, when it refuses the call first): past this many, the oldest is forgotten,
 * and its `begin` then checks the id like any other.
 */
const MAX_MINTED_IDS = 4096;

export class LedgerImpl implements Ledger {
  readonly dialect: Ledger['dialect'];
  readonly instanceId: string;
  readonly reports: Reports;
  readonly budgets: Budgets;
  readonly keys: GatewayKeys;
  readonly reconciliation: ReconcileStore;
  readonly #backend: StoreBackend;
  readonly #settings: LedgerSettings;
  readonly #writer: GroupCommitWriter;
  readonly #heartbeat = new Heartbeat(() => this.#maintain());
  readonly #begunHere = new Map<string, BegunAttribution>();
  readonly #mintedHere = new Set<string>();
  readonly #journaling: StoreBackend['journaling'];
  #closed = false;

  constructor(backend: StoreBackend, settings: LedgerSettings) {
    this.#backend = backend;
    this.#settings = settings;
    this.dialect = backend.dialect;
    this.instanceId = settings.instance.id;
    this.reports = new Reports(backend);
    this.budgets = new Budgets(backend, settings.clock, { reservationTtlMs: settings.reservationTtlMs });
    this.keys = new GatewayKeys(backend, settings.clock, this.budgets);
    this.reconciliation = createReconcileStore(backend);
    const journaling = settings.journalDelayMs !== null ? backend.journaling : undefined;
    this.#journaling = journaling;
    this.#writer = new GroupCommitWriter({
      apply: (ops) => this.#apply(ops),
      isUnavailable: (error) => backend.isUnavailableError(error),
      spool: settings.spoolDir === null ? null : new Spool(settings.spoolDir, settings.instance.id),
      logger: settings.logger,
      maxBatch: settings.maxBatch,
      windowMs: settings.batchWindowMs,
      retryMs: settings.spoolRetryMs,
      // A gathering window asks for batches even at low load.
      commitWhenIdle: backend.cheapCommits && settings.batchWindowMs === 0,
      journal:
        journaling && backend.journalDir !== null
          ? new WriteJournal(backend.journalDir, settings.instance.id)
          : null,
      journalDelayMs: settings.journalDelayMs ?? undefined,
    });
    // Whatever reads the database (reports, budgets, the reconciler…) first commits what the
    // journal acknowledged: this process always reads its own writes.
    journaling?.setReadBarrier(() => this.#writer.commitJournaledNow());
  }

  async start(): Promise<void> {
    const { instance, clock, spoolDir } = this.#settings;
    await registerInstance(this.#backend.db, instance, clock.now());
    const dirs = [this.#backend.journalDir, spoolDir].filter((dir): dir is string => dir !== null);
    if (dirs.length > 0) {
      const { live } = await this.#census();
      await replayOrphanSpools(
        dirs,
        live,
        async (ops) => this.#apply(ops),
        this.#backend,
        this.#settings.logger,
      );
    }
    await this.sweepInterrupted();
    this.#heartbeat.start(this.#settings.heartbeatMs);
  }

  newRequestId(at?: number): string {
    const id = uuidv7(at ?? this.#settings.clock.now());
    const minted = this.#mintedHere;
    if (minted.size >= MAX_MINTED_IDS) {
      const oldest = minted.values().next();
      if (!oldest.done) minted.delete(oldest.value);
    }
    minted.add(id);
    return id;
  }

  async begin(request: BeginRequest): Promise<BegunRequest> {
    this.#assertOpen();
    const { id, createdAt } = rowIdentity(request, () => this.#settings.clock.now(), uuidv7);
    const row = pendingRowValues(request, { id, createdAt, instanceId: this.instanceId });
    // An id this ledger minted is new by construction (uuidv7's random bits), as is one it mints
    // now; a given one is checked, once.
    const minted = request.id === undefined || this.#mintedHere.delete(id);
    // Journaled only when the id is known to be new: a begin's commit is what tells a reused id.
    const result = await this.#writer.enqueue(
      { kind: 'begin', row },
      () => this.#fewInFlight() && (minted || this.#isNewId(id)),
    );
    if (!result.applied && !result.spooled) {
      throw new LedgerError(
        'ledger_invalid_input',
        `A ledger row with id ${JSON.stringify(id)} already exists.`,
      );
    }
    this.#carryAttribution(id, row);
    return { id, createdAt, spooled: result.spooled };
  }

  async complete(id: string, outcome: RequestOutcome): Promise<CompleteResult> {
    this.#assertOpen();
    const { values, flags } = completionValues(outcome, {
      completedAt: outcome.completedAt ?? this.#settings.clock.now(),
      reconcileAfterMs: this.#settings.reconcileAfterMs,
    });
    if (flags.length > 0)
      this.#settings.logger.warn({ id, tokenCheck: flags }, 'ledger: token counts contradict');
    const begun = this.#begunHere.get(id);
    if (begun !== undefined) this.#begunHere.delete(id);
    // A row begun here is pending (or interrupted), so its completion applies: journaled, it
    // needs nothing from the commit. One begun elsewhere waits to learn whether it applied.
    const result =
      begun === undefined
        ? await this.#writer.enqueue({ kind: 'complete', id, values })
        : await this.#writer.enqueue({ kind: 'complete', id, values, begun }, this.#fewInFlight);
    return { applied: result.applied, spooled: result.spooled, tokenCheck: flags };
  }

  /** Calls begun here and not completed (a row that is never completed counts until forgotten). */
  readonly #fewInFlight = () => this.#begunHere.size <= JOURNAL_WHILE_IN_FLIGHT_AT_MOST;

  #isNewId(id: string): boolean {
    const journaling = this.#journaling;
    if (!journaling || journaling.requestExists(id)) return false;
    return !this.#writer.hasQueued((op) => op.kind === 'begin' && op.row.id === id);
  }

  #carryAttribution(id: string, row: BegunAttribution): void {
    const carried = this.#begunHere;
    if (carried.size >= MAX_CARRIED_ATTRIBUTIONS) {
      const oldest = carried.keys().next();
      if (!oldest.done) carried.delete(oldest.value);
    }
    carried.set(id, row);
  }

  async attachGenerationId(id: string, generationId: string): Promise<void> {
    this.#assertOpen();
    const value = optionalText(generationId, 'generationId');
    if (value === null) return;
    await this.#writer.enqueue({ kind: 'attach', id, generationId: value }, this.#fewInFlight);
  }

  async saveBodies(id: string, bodies: { request?: string | null; response?: string | null }): Promise<void> {
    this.#assertOpen();
    await this.#writer.enqueue(
      {
        kind: 'bodies',
        id,
        createdAt: this.#settings.clock.now(),
        request: bodies.request ?? null,
        response: bodies.response ?? null,
      },
      this.#fewInFlight,
    );
  }

  getRequest(id: string) {
    return getRequest(this.#backend.db, id);
  }

  getRequestByGenerationId(generationId: string) {
    return getRequestByGenerationId(this.#backend.db, generationId);
  }

  getBodies(id: string) {
    return getBodies(this.#backend.db, id);
  }

  importRows(rows: readonly ImportRow[]): Promise<number> {
    this.#assertOpen();
    return importRows(this.#backend, rows, {
      instanceId: this.instanceId,
      reconcileAfterMs: this.#settings.reconcileAfterMs,
    });
  }

  reconciler(
    options: { fetchGeneration: FetchGeneration } & Partial<Omit<ReconcilerOptions, 'store'>>,
  ): Reconciler {
    return new Reconciler({
      clock: this.#settings.clock,
      logger: this.#settings.logger,
      ...options,
      store: this.reconciliation,
    });
  }

  compareWithBill(
    bill: readonly BillDay[],
    options: { keyId?: string; byModel?: boolean; tolerance?: Money } = {},
  ): Promise<LedgerVsBillReport> {
    return compareLedgerWithBill(this.reports, bill, options);
  }

  async sweepInterrupted(): Promise<number> {
    const now = this.#settings.clock.now();
    const count = await sweepInterrupted(this.#backend, {
      deadInstanceIds: (await this.#census()).dead,
      now,
      pendingCreatedBefore: now - this.#settings.stalePendingMs,
      reconcileAfterMs: this.#settings.reconcileAfterMs === null ? null : 0,
    });
    if (count > 0) this.#settings.logger.warn({ count }, 'ledger: stale pending rows marked interrupted');
    return count;
  }

  async purgeBodies(olderThanMs: number): Promise<number> {
    if (typeof olderThanMs !== 'number' || !Number.isSafeInteger(olderThanMs) || olderThanMs < 0)
      throw new LedgerError(
        'ledger_invalid_input',
        `purgeBodies takes an age in whole milliseconds, 0 or more (got ${String(olderThanMs)}).`,
      );
    const before = this.#settings.clock.now() - olderThanMs;
    const result = await this.#backend.db
      .deleteFrom('request_bodies')
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async dropRequestsBefore(beforeMs: number) {
    // A string would compare above every number in SQLite and a future time would take calls
    // still in flight: either would delete rows that must stay.
    const now = this.#settings.clock.now();
    if (typeof beforeMs !== 'number' || !Number.isSafeInteger(beforeMs) || beforeMs < 0 || beforeMs > now)
      throw new LedgerError(
        'ledger_invalid_input',
        `dropRequestsBefore takes a time in epoch milliseconds, not in the future (got ${String(beforeMs)}); ` +
          'for a retention of N days pass Date.now() - N * 86_400_000.',
      );
    return await this.#backend.dropRequestsBefore(beforeMs);
  }

  listPartitions() {
    return this.#backend.listPartitions();
  }

  queueDepth(): number {
    return this.#writer.queueDepth;
  }

  writerStats() {
    return this.#writer.stats;
  }

  health(): LedgerHealth {
    return { ...this.#writer.health(), dialect: this.dialect, closed: this.#closed };
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  retrySpool(): Promise<boolean> {
    return this.#writer.retrySpool();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#heartbeat.stop();
    await this.#writer.close();
    try {
      if (this.#writer.health().spooledOps === 0) await removeInstance(this.#backend.db, this.instanceId);
    } catch (error) {
      this.#settings.logger.warn({ err: String(error) }, 'ledger: could not deregister this instance');
    }
    await this.#backend.close();
  }

  #apply(ops: readonly WriteOp[]): boolean[] | Promise<boolean[]> {
    this.#settings.faults?.beforeWrite?.(ops);
    return this.#backend.applyWriteBatch(ops);
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerError('ledger_closed', 'The ledger is closed.');
  }

  #census() {
    const { instance, clock, staleInstanceMs, isProcessAlive } = this.#settings;
    return instanceCensus(this.#backend.db, {
      self: instance,
      now: clock.now(),
      staleAfterMs: staleInstanceMs,
      isProcessAlive: isProcessAlive ?? processAlive,
      processStartedAt: this.#settings.processStartedAt,
    });
  }

  /** Every heartbeat: stay registered, keep partitions ahead, sweep, drop expired reservations. */
  async #maintain(): Promise<void> {
    if (this.#closed) return;
    const now = this.#settings.clock.now();
    try {
      await registerInstance(this.#backend.db, this.#settings.instance, now);
      this.#writer.noteDatabaseReachable(true);
      await this.#backend.ensurePartitions([now, now + 31 * DAY_MS, now + 62 * DAY_MS]);
      await this.sweepInterrupted();
      await this.budgets.cleanupExpired();
    } catch (error) {
      if (this.#backend.isUnavailableError(error)) this.#writer.noteDatabaseReachable(false, error);
      else this.#settings.logger.warn({ err: String(error) }, 'ledger: maintenance failed');
    }
  }
}
