/**
 * The tollgate simulator: a faithful offline OpenRouter on 127.0.0.1 for tests, benchmarks and
 * demos. This file is the only entry point other modules import.
 */
import { randomBytes } from 'node:crypto';

export { looksByok } from './accounts.ts';
export type { RequestLogEntry } from './core.ts';
export {
  DEFAULT_RANDOM_FAULTS,
  FAULT_INFO,
  type FaultInfo,
  type FaultName,
  parseFaultHeader,
  SIMULATOR_FAULTS,
} from './faults.ts';
export type { SimulatorOptions } from './options.ts';
export { type IssueKeyOptions, type RunningSimulator, startSimulator } from './server.ts';
export type { AccountSnapshot, GenerationSnapshot, KeySnapshot, SimulatorState } from './state.ts';

/**
 * A fresh key in OpenRouter's format (`sk-or-v1-<64 hex>`). In lenient mode any key works and is
 * its own account; with `byok: true` the key carries a `byok` part, which marks its calls BYOK.
 * In strict mode use RunningSimulator.issueKey (or POST /keys) instead: only issued keys work.
 */
export function createSimulatorKey(options: { byok?: boolean } = {}): string {
  const hex = randomBytes(32).toString('hex');
  return options.byok === true ? `sk-or-v1-byok-${hex.slice(0, 59)}` : `sk-or-v1-${hex}`;
}
