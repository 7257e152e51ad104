import type { Logger } from 'pino';
import type { OpenRouterClient } from '../client/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Meter } from '../metering/index.ts';
import type { ModelCatalog } from '../pricing/index.ts';
import type { Clock } from '../shared/clock.ts';
import type { Authenticator } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { KeyRateLimiter } from './rate-limit.ts';

/** Everything the gateway's routes use, built once by the composition root and passed in. */
export interface GatewayContext {
  client: OpenRouterClient;
  meter: Meter;
  ledger: Ledger;
  catalog: ModelCatalog;
  auth: Authenticator;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
  rateLimiter: KeyRateLimiter;
  /** Strings that must never leave in a body or a log line (the OpenRouter key, the admin key). */
  secrets: readonly string[];
  /** Most concurrent streams one gateway key may hold open. */
  maxStreamsPerKey: number;
  /** Opt-in: keep request and response bodies (in their own table, purged after the retention). */
  storeBodies: boolean;
  /** Metered calls under way in this process, counted by the hot path. */
  inFlight: { calls: number };
}
