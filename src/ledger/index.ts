/**
 * The ledger: an exact cost record of every request sent upstream, over SQLite or PostgreSQL.
 * Outside code reaches it only through this file.
 */
export type { DialectName } from './backend/store-backend.ts';
export { BudgetExceededError, type BudgetSummary, describeBudget } from './budgets/budget-exceeded-error.ts';
export {
  BUDGET_SCOPES,
  BUDGET_WINDOWS,
  type BudgetScope,
  type BudgetWindow,
  windowStart,
} from './budgets/budget-windows.ts';
export type {
  Budget,
  BudgetAttribution,
  BudgetCheck,
  BudgetInput,
  Budgets,
  Reservation,
  ReserveRequest,
} from './budgets/budgets.ts';
export type {
  HeldRequest,
  HeldReservation,
  ReleasedHolds,
  ReleaseHoldsSelector,
} from './budgets/held-reservations.ts';
export {
  type CreateGatewayKeyInput,
  GATEWAY_KEY_PREFIX,
  type GatewayKey,
  type GatewayKeys,
  hashGatewayKeySecret,
} from './keys/gateway-keys.ts';
export type { Ledger, LedgerHealth } from './ledger.ts';
export { LedgerError, type LedgerErrorCode } from './ledger-errors.ts';
export {
  type BeginRequest,
  type BegunRequest,
  COST_SOURCES,
  type CompleteResult,
  type CompletionStatus,
  type CostSource,
  type ImportRow,
  type LedgerLogger,
  type LedgerRow,
  REQUEST_STATUSES,
  type RequestOutcome,
  type RequestStatus,
  silentLogger,
  type TagValue,
  type TokenCheckFlag,
  type TokenUsage,
} from './ledger-types.ts';
export { DEFAULT_SQLITE_PATH, type LedgerLocation, parseLedgerUrl, redactLedgerUrl } from './ledger-url.ts';
export {
  type BillDay,
  type LedgerDay,
  type LedgerVsBillReport,
  type LedgerVsBillRow,
  ledgerVsBill,
} from './ledger-vs-bill.ts';
export { type OpenLedgerOptions, openLedger } from './open-ledger.ts';
export {
  GenerationFetchTimeoutError,
  isGenerationSourceUnavailable,
} from './reconcile/fetch-failure.ts';
export {
  type FetchGeneration,
  type FetchGenerationResult,
  type GenerationRecord,
  parseGenerationRecord,
} from './reconcile/generation-record.ts';
export type { DueGeneration, ReconcileOutcome, ReconcileStore } from './reconcile/reconcile-store.ts';
export {
  createReconciler,
  type ReconcileRunSummary,
  Reconciler,
  type ReconcilerOptions,
  reconcileBackoffMs,
} from './reconciler.ts';
export {
  type DriftRow,
  type KeyDaySpend,
  REPORT_DIMENSIONS,
  type RecentQuery,
  type Report,
  type ReportDimension,
  type ReportFilters,
  type ReportGroup,
  type ReportQuery,
  type ReportRange,
  type ReportRow,
  type Reports,
} from './reports.ts';
export type { WriterHealth, WriterStats } from './write/group-commit-writer.ts';
