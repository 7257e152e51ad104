import type { Money } from '../shared/money.ts';
import type { DialectName } from './backend/store-backend.ts';
import type { Budgets } from './budgets/budgets.ts';
import type { GatewayKeys } from './keys/gateway-keys.ts';
import type {
  BeginRequest,
  BegunRequest,
  CompleteResult,
  ImportRow,
  LedgerRow,
  RequestOutcome,
} from './ledger-types.ts';
import type { BillDay, LedgerVsBillReport } from './ledger-vs-bill.ts';
import type { FetchGeneration } from './reconcile/generation-record.ts';
import type { ReconcileStore } from './reconcile/reconcile-store.ts';
import type { Reconciler, ReconcilerOptions } from './reconciler.ts';
import type { Reports } from './reports.ts';
import type { WriterHealth, WriterStats } from './write/group-commit-writer.ts';

export interface LedgerHealth extends WriterHealth {
  dialect: DialectName;
  closed: boolean;
}

/**
 * The cost ledger: one interface over SQLite and PostgreSQL. Writes (`begin`, `complete`,
 * `attachGenerationId`, `saveBodies`) go through the group-commit writer and resolve only once
 * durable (committed, or fsync'd to the local spool while the database is unreachable).
 */
export interface Ledger {
  readonly dialect: DialectName;
  /** This process's instance id (stamped on the pending rows it writes). */
  readonly instanceId: string;
  readonly reports: Reports;
  readonly budgets: Budgets;
  readonly keys: GatewayKeys;
  /** The reconciler's view of the table (pass to `createReconciler`, or use `reconciler()`). */
  readonly reconciliation: ReconcileStore;

  /**
   * A new row id (a UUIDv7 of `at`, default now) for a caller that needs the id before `begin`
   * (the gateway names its request in every answer, refusals included). A `begin` with an id
   * minted here soon after skips the check that a given id is new.
   */
  newRequestId(at?: number): string;
  /** Writes the `pending` row; call before the upstream request. */
  begin(request: BeginRequest): Promise<BegunRequest>;
  /** Finishes the row and updates the rollup in the same transaction. */
  complete(id: string, outcome: RequestOutcome): Promise<CompleteResult>;
  /** Records a generation id learned before completion (e.g. from the first stream chunk). */
  attachGenerationId(id: string, generationId: string): Promise<void>;
  /** Opt-in bodies, kept apart and purged by `purgeBodies`. */
  saveBodies(id: string, bodies: { request?: string | null; response?: string | null }): Promise<void>;

  getRequest(id: string): Promise<LedgerRow | undefined>;
  getRequestByGenerationId(generationId: string): Promise<LedgerRow | undefined>;
  getBodies(id: string): Promise<{ request: string | null; response: string | null } | undefined>;

  /** Bulk path for finished rows (imports, tests): large transactions, rollup included; returns rows inserted. */
  importRows(rows: readonly ImportRow[]): Promise<number>;

  /** A reconciler bound to this ledger's table, clock and logger. */
  reconciler(
    options: { fetchGeneration: FetchGeneration } & Partial<Omit<ReconcilerOptions, 'store'>>,
  ): Reconciler;
  /** Compares the ledger's daily spend with OpenRouter's /activity figures. */
  compareWithBill(
    bill: readonly BillDay[],
    options?: { keyId?: string; byModel?: boolean; tolerance?: Money },
  ): Promise<LedgerVsBillReport>;

  /** Marks stale pending rows `interrupted` now (also done at open and on every heartbeat). */
  sweepInterrupted(): Promise<number>;
  /** Deletes bodies older than `olderThanMs` before now; returns how many. */
  purgeBodies(olderThanMs: number): Promise<number>;
  /** Retention: drops `requests` rows created before `beforeMs` (whole partitions on PostgreSQL). */
  dropRequestsBefore(beforeMs: number): Promise<{ partitionsDropped: string[]; rowsDeleted: number }>;
  /** PostgreSQL: the `requests` partitions. */
  listPartitions(): Promise<string[]>;

  queueDepth(): number;
  writerStats(): WriterStats;
  health(): LedgerHealth;
  /** Waits until every queued write is committed or spooled. */
  flush(): Promise<void>;
  /** Tries to replay the spool now; true when it is empty afterwards. */
  retrySpool(): Promise<boolean>;
  /** Flushes, stops timers, leaves the instance table, closes the database. */
  close(): Promise<void>;
}
