import { setMaxListeners } from 'node:events';
import type { Clock } from '../shared/clock.ts';
import { type Account, type AccountStore, createAccountStore } from './accounts.ts';
import { type Catalogue, createCatalogue } from './catalogue.ts';
import { parseUsd } from './decimal.ts';
import { createFaultPlanner, type FaultPlanner } from './faults.ts';
import { createGenerationStore, type GenerationStore } from './generations.ts';
import type { ResolvedOptions } from './options.ts';
import type { ChallengeMethod } from './pkce.ts';
import { createPromptCache, type PromptCache } from './prompt-cache.ts';
import { createRing, type Ring } from './ring.ts';
import { createIdSource, type IdSource } from './unique-ids.ts';

/** One entry of the request log tests can read through `state.requests()`. */
export interface RequestLogEntry {
  atMs: number;
  method: string;
  path: string;
  status: number;
  keyHash?: string;
  fault?: string;
  generationId?: string;
  model?: string;
  streamed?: boolean;
}

/** Everything one simulator instance owns; passed to every handler (no module-level state). */
export interface SimulatorCore {
  options: ResolvedOptions;
  clock: Clock;
  catalogue: Catalogue;
  accounts: AccountStore;
  generations: GenerationStore;
  faults: FaultPlanner;
  promptCache: PromptCache;
  ids: IdSource;
  requestLog: Ring<RequestLogEntry>;
  /** OAuth PKCE codes minted by POST /auth/keys/code, until exchanged or expired. */
  authCodes: Map<string, AuthCode>;
  /** Aborted on close(), so stalled and paced responses end at once. */
  shutdown: AbortController;
}

export interface AuthCode {
  account: Account;
  challenge: string | null;
  method: ChallengeMethod | null;
  keyLabel: string | null;
  limit: number | null;
  expiresAtMs: number;
}

export function createCore(options: ResolvedOptions): SimulatorCore {
  const ids = createIdSource();
  const now = options.clock.now();
  const shutdown = new AbortController();
  // Every paced response listens on this signal; hundreds at once are normal, not a leak.
  setMaxListeners(0, shutdown.signal);
  return {
    options,
    clock: options.clock,
    catalogue: createCatalogue(),
    accounts: createAccountStore({
      strict: options.strictKeys,
      startingCredits: parseUsd(options.credits),
      ids,
      now,
      ...(options.managementKey === undefined ? {} : { managementKey: options.managementKey }),
    }),
    generations: createGenerationStore(options.historyLimit),
    faults: createFaultPlanner({
      faultRate: options.faultRate,
      seed: options.seed,
      randomFaults: options.randomFaults,
    }),
    promptCache: createPromptCache(options.cacheMinTokens),
    ids,
    requestLog: createRing(options.historyLimit),
    authCodes: new Map(),
    shutdown,
  };
}
