/**
 * Opens what a command needs from the environment: the configuration (flags > environment > .env >
 * tollgate.config.json > defaults), the ledger, the OpenRouter client or the metered library.
 * Each opener is paired with a close, so a finished command leaves no handle keeping Node alive.
 */
import { createOpenRouterClient, type OpenRouterClient } from '../client/index.ts';
import { type ConfigOverrides, loadConfig, type TollgateConfig } from '../config/index.ts';
import { type Ledger, openLedger } from '../ledger/index.ts';
import { Tollgate, type TollgateOptions } from '../library/index.ts';
import { UsageError } from './flags.ts';

export interface ContextFlags {
  db?: string | undefined;
}

export function loadCliConfig(flags: ContextFlags = {}): Readonly<TollgateConfig> {
  const overrides: ConfigOverrides = { db: { url: flags.db } };
  return loadConfig({ env: process.env, overrides });
}

/** The key must be set for anything beyond public endpoints: say where to put it. */
export function requireApiKey(config: Readonly<TollgateConfig>): string {
  const key = config.openrouter.apiKey;
  if (!key) {
    throw new UsageError(
      'OPENROUTER_API_KEY is not set. Export it or put it in .env (create one at https://openrouter.ai/settings/keys).',
    );
  }
  return key;
}

/**
 * Opens the ledger, runs `body`, and always closes it (flushing every write). No heartbeat: these
 * commands write no pending rows and finish in moments.
 *
 * A SQLite ledger file must already exist unless `create` is set: a command that reads (spend,
 * requests, drift, budgets ls, keys list…) or changes existing rows (reconcile, keys revoke, budgets
 * rm) on a mistyped --db would otherwise answer from a new, empty ledger it just created. Only a
 * command that sets up something a user would want kept before the first call (keys create,
 * budgets set) passes `create: true`.
 */
export async function withLedger<T>(
  config: Readonly<TollgateConfig>,
  body: (ledger: Ledger) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const ledger = await openLedger({ url: config.db.url, heartbeatMs: 0, create: options.create === true });
  try {
    return await body(ledger);
  } finally {
    await ledger.close();
  }
}

export function createClient(
  config: Readonly<TollgateConfig>,
  options: { needKey: boolean; maxRetries?: number; timeoutMs?: number },
): OpenRouterClient {
  const apiKey = options.needKey ? requireApiKey(config) : config.openrouter.apiKey;
  return createOpenRouterClient({
    apiKey,
    baseUrl: config.openrouter.baseUrl,
    timeoutMs: options.timeoutMs ?? config.openrouter.timeoutMs,
    maxRetries: options.maxRetries ?? config.openrouter.maxRetries,
  });
}

export async function withClient<T>(
  config: Readonly<TollgateConfig>,
  options: { needKey: boolean; maxRetries?: number; timeoutMs?: number },
  body: (client: OpenRouterClient) => Promise<T>,
): Promise<T> {
  const client = createClient(config, options);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

/**
 * The metered library, configured like the rest of the CLI. Reconciliation stays off: a command
 * is short-lived, and `tollgate reconcile` (or the gateway) reconciles the rows later. The ledger
 * heartbeat stays on: without it a gateway sharing the database would take a long batch for a dead
 * instance after a minute and mark its pending rows interrupted.
 */
export async function openTollgate(
  config: Readonly<TollgateConfig>,
  options: Partial<TollgateOptions> = {},
): Promise<Tollgate> {
  requireApiKey(config);
  return await Tollgate.open({
    env: process.env,
    db: config.db.url,
    reconcile: false,
    ...options,
  });
}
