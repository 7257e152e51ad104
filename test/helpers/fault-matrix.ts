import type { LedgerRow } from '../../src/index.ts';
import type { FaultName } from '../../src/simulator/index.ts';

/** The simulator faults that are an HTTP error status before any work: the caller gets that status. */
export const HTTP_ERROR_FAULTS: ReadonlySet<string> = new Set([
  '400',
  '401',
  '402',
  '403',
  '404',
  '408',
  '413',
  '429',
  '500',
  '502',
  '503',
]);

/** The stall outlasts the 400 ms attempt timeout the matrices use; the slow faults stay well inside it. */
const FAULT_MS: Partial<Record<FaultName, number>> = {
  stall: 3_000,
  'slow-first-token': 150,
  'slow-stream': 5,
};

/** The fault as a queued step (`sim.queueFaults`). */
export function faultStep(fault: FaultName): string | { name: string; ms: number } {
  const ms = FAULT_MS[fault];
  return ms === undefined ? fault : { name: fault, ms };
}

/** The fault as an `X-Simulator-Fault` header value. */
export function faultHeader(fault: FaultName): string {
  const ms = FAULT_MS[fault];
  return ms === undefined ? fault : `${fault};ms=${ms}`;
}

/** A row's cost as the matrices judge it. */
export function costOf(row: LedgerRow | undefined): string {
  if (!row) return 'no row';
  return row.cost === null ? 'unknown' : row.cost === 0n ? 'zero' : 'known';
}
