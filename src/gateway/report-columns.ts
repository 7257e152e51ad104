import type { DriftRow, LedgerRow, ReportDimension, ReportRow } from '../ledger/index.ts';

/**
 * The admin API's CSV columns, per report. Written out (not read off the first row) so an empty
 * report still has its header; each list is checked against its row type at compile time, so a
 * field added to a row cannot be left out of its CSV.
 */
function fieldsOf<T>(fields: Record<keyof T, true>): string[] {
  return Object.keys(fields);
}

const SPEND_FIELDS = fieldsOf<Omit<ReportRow, 'group'>>({
  requests: true,
  errors: true,
  unknownCostCount: true,
  spend: true,
  spendUsd: true,
  estimatedSpend: true,
  upstreamSpend: true,
  promptTokens: true,
  completionTokens: true,
  reasoningTokens: true,
  cachedTokens: true,
  cacheWriteTokens: true,
  avgLatencyMs: true,
});

/** A spend report's columns: its group's dimensions, then what each group measures. */
export function spendColumns(groupBy: readonly ReportDimension[]): string[] {
  return [...groupBy, ...SPEND_FIELDS];
}

export const DRIFT_COLUMNS = fieldsOf<DriftRow>({
  model: true,
  requests: true,
  estimated: true,
  billed: true,
  drift: true,
  driftUsd: true,
  driftRatio: true,
});

export const REQUEST_COLUMNS = fieldsOf<LedgerRow>({
  id: true,
  instanceId: true,
  requestId: true,
  generationId: true,
  createdAt: true,
  completedAt: true,
  module: true,
  userId: true,
  keyId: true,
  tags: true,
  modelRequested: true,
  model: true,
  provider: true,
  status: true,
  finishReason: true,
  nativeFinishReason: true,
  httpStatus: true,
  errorCode: true,
  errorMessage: true,
  promptTokens: true,
  completionTokens: true,
  reasoningTokens: true,
  cachedTokens: true,
  cacheWriteTokens: true,
  tokenCheck: true,
  cost: true,
  costSource: true,
  costKnown: true,
  estimatedCost: true,
  upstreamInferenceCost: true,
  isByok: true,
  latencyMs: true,
  ttftMs: true,
  streamed: true,
  attempts: true,
  upstreamLatencyMs: true,
  generationTimeMs: true,
  providerResponses: true,
  reconciledAt: true,
  reconcileAttempts: true,
  nextReconcileAt: true,
});
