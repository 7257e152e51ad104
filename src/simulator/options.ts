import { type Clock, systemClock } from '../shared/clock.ts';
import { DEFAULT_RANDOM_FAULTS, type FaultName, isFaultName } from './faults.ts';

export interface SimulatorOptions {
  /** 0 = a random free port (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** /generation answers 404 until this long after completion (default 500). */
  generationLagMs?: number;
  /** Time to first token (default 0). */
  firstTokenMs?: number;
  /** Stream pacing; 0 or Infinity = no delay (default 0 = unpaced). */
  tokensPerSecond?: number;
  /** 0..1 probability of a random fault per inference request (default 0). */
  faultRate?: number;
  /** Starting credit per account in USD (default 100). */
  credits?: number;
  /** Seeds answers and random faults (default 1). */
  seed?: number;
  /** Behave exactly like OpenRouter about keys: only issued keys work (default false). */
  strictKeys?: boolean;
  clock?: Clock;
  /** How long a 'stall' fault stalls before dropping the connection (default 60_000). */
  stallMs?: number;
  /** The management key's text (default: a fresh `sk-or-v1-…`); see RunningSimulator.managementKey. */
  managementKey?: string;
  /** Faults `faultRate` draws from (default: transient failures that do not hang). */
  randomFaults?: readonly string[];
  /** How many generations and request-log entries are kept (default 100_000). */
  historyLimit?: number;
  /** Prompt prefixes shorter than this many tokens are not cached (default 1024). */
  cacheMinTokens?: number;
  /** Model used when a request names none (default 'openai/gpt-4o-mini'). */
  defaultModel?: string;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  generationLagMs: number;
  firstTokenMs: number;
  tokensPerSecond: number;
  faultRate: number;
  credits: number;
  seed: number;
  strictKeys: boolean;
  clock: Clock;
  stallMs: number;
  managementKey: string | undefined;
  randomFaults: readonly FaultName[];
  historyLimit: number;
  cacheMinTokens: number;
  defaultModel: string;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`startSimulator: ${message}`);
}

const nonNegative = (value: number) => Number.isFinite(value) && value >= 0;

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    generationLagMs: options.generationLagMs ?? 500,
    firstTokenMs: options.firstTokenMs ?? 0,
    tokensPerSecond: options.tokensPerSecond ?? 0,
    faultRate: options.faultRate ?? 0,
    credits: options.credits ?? 100,
    seed: options.seed ?? 1,
    strictKeys: options.strictKeys ?? false,
    clock: options.clock ?? systemClock,
    stallMs: options.stallMs ?? 60_000,
    managementKey: options.managementKey,
    randomFaults: (options.randomFaults ?? DEFAULT_RANDOM_FAULTS).filter(isFaultName),
    historyLimit: options.historyLimit ?? 100_000,
    cacheMinTokens: options.cacheMinTokens ?? 1024,
    defaultModel: options.defaultModel ?? 'openai/gpt-4o-mini',
  };
  check(
    Number.isInteger(resolved.port) && resolved.port >= 0 && resolved.port <= 65535,
    'port must be an integer 0–65535',
  );
  check(resolved.host !== '', 'host must not be empty');
  check(nonNegative(resolved.generationLagMs), 'generationLagMs must be ≥ 0');
  check(nonNegative(resolved.firstTokenMs), 'firstTokenMs must be ≥ 0');
  check(
    resolved.tokensPerSecond >= 0 && !Number.isNaN(resolved.tokensPerSecond),
    'tokensPerSecond must be ≥ 0',
  );
  check(resolved.faultRate >= 0 && resolved.faultRate <= 1, 'faultRate must be between 0 and 1');
  check(nonNegative(resolved.credits), 'credits must be ≥ 0');
  check(Number.isInteger(resolved.seed), 'seed must be an integer');
  check(nonNegative(resolved.stallMs), 'stallMs must be ≥ 0');
  check(
    Number.isInteger(resolved.historyLimit) && resolved.historyLimit > 0,
    'historyLimit must be a positive integer',
  );
  check(
    resolved.managementKey === undefined || resolved.managementKey.trim() !== '',
    'managementKey must not be empty',
  );
  const unknown = (options.randomFaults ?? []).filter((f) => !isFaultName(f));
  check(unknown.length === 0, `unknown randomFaults: ${unknown.join(', ')}`);
  return resolved;
}
