import { isIP } from 'node:net';
import pino, { type Logger } from 'pino';
import { createOpenRouterClient, type OpenRouterClient } from '../client/index.ts';
import type { TollgateConfig } from '../config/index.ts';
import { registerDashboard } from '../dashboard/index.ts';
import {
  buildGatewayApp,
  createAuthenticator,
  createGatewayMetrics,
  type GatewayContext,
  KeyRateLimiter,
  requireAdmin,
} from '../gateway/index.ts';
import { type Ledger, type OpenLedgerOptions, openLedger, type Reconciler } from '../ledger/index.ts';
import { generationFetcher, scheduleBodyPurge, syncModuleBudgets } from '../library/index.ts';
import { createMeter } from '../metering/index.ts';
import { createModelCatalog } from '../pricing/index.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import type { RunningSimulator, SimulatorOptions } from '../simulator/index.ts';

export interface StartGatewayInput {
  config: Readonly<TollgateConfig>;
  logger?: Logger;
  clock?: Clock;
  /** With no OpenRouter key configured: start the simulator in-process (default true). */
  simulatorWhenNoKey?: boolean;
  simulatorOptions?: SimulatorOptions;
  ledgerOptions?: Omit<OpenLedgerOptions, 'url' | 'clock' | 'logger'>;
  /** Reconcile rows with GET /generation in the background (default true). */
  reconcile?: boolean;
  reconcileIntervalMs?: number;
  /** Overrides config.gateway.maxStreamsPerKey (benchmarks hold thousands of streams). */
  maxStreamsPerKey?: number;
}

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  context: GatewayContext;
  ledger: Ledger;
  /** Set when the gateway runs on the in-process simulator. */
  simulator: RunningSimulator | undefined;
  /** Stops accepting, finishes in-flight calls, flushes the ledger, closes everything. */
  close(): Promise<void>;
}

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The gateway's logger: JSON lines; credentials are never logged, and redacted if they ever were. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      redact: {
        paths: ['*.authorization', '*.headers.authorization', '*.apiKey', '*.secret', '*.adminKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * The composition root of the gateway: reads the resolved config into the client, ledger,
 * catalogue, meter and app, and listens. The only place that wires modules together.
 */
export async function startGateway(input: StartGatewayInput): Promise<RunningGateway> {
  const { config } = input;
  const clock = input.clock ?? systemClock;
  const logger = input.logger ?? createLogger(config.gateway.logLevel);

  // What start-up has opened so far, closed in reverse if a later step fails: a simulator or a
  // ledger left open would keep a failed `tollgate serve` from exiting.
  const opened: Array<() => Promise<void> | void> = [];
  try {
    return await openAndListen(input, clock, logger, opened);
  } catch (error) {
    for (const close of opened.reverse()) {
      try {
        await close();
      } catch {
        // Closing what a failed start opened is best effort: the start-up error is the one to report.
      }
    }
    throw error;
  }
}

async function openAndListen(
  input: StartGatewayInput,
  clock: Clock,
  logger: Logger,
  opened: Array<() => Promise<void> | void>,
): Promise<RunningGateway> {
  const { config } = input;
  let simulator: RunningSimulator | undefined;
  let apiKey = config.openrouter.apiKey;
  let baseUrl = config.openrouter.baseUrl;
  if (!apiKey && input.simulatorWhenNoKey !== false) {
    const { startSimulator, createSimulatorKey } = await import('../simulator/index.ts');
    const started = await startSimulator(input.simulatorOptions ?? { generationLagMs: 500 });
    simulator = started;
    opened.push(() => started.close());
    apiKey = createSimulatorKey();
    baseUrl = simulator.url;
  }

  const ledger = await openLedger({
    url: config.db.url,
    clock,
    logger,
    sqlite: { synchronous: config.db.sqliteSync },
    // Writes acknowledged from the journal where a commit is no more durable (SQLite, NORMAL).
    journal: true,
    ...input.ledgerOptions,
  });
  opened.push(() => ledger.close());
  const keys = await ledger.keys.list();
  if (!isLoopback(config.gateway.host) && !config.gateway.adminKey && keys.length === 0) {
    throw new StartupError(
      `Refusing to listen on ${config.gateway.host} without keys: anyone could spend through it. ` +
        'Set TOLLGATE_ADMIN_KEY and create gateway keys (tollgate keys create), or bind to 127.0.0.1.',
    );
  }

  const client: OpenRouterClient = createOpenRouterClient({
    apiKey,
    baseUrl,
    timeoutMs: config.openrouter.timeoutMs,
    maxRetries: config.openrouter.maxRetries,
    // One upstream connection per stream in flight: a pool cap would queue streams behind each other.
    connections: null,
    clock,
  });
  opened.push(() => client.close());
  const catalog = createModelCatalog({
    // Every output modality: OpenRouter's default lists text models only, and an embedding model
    // without a price would reserve the unknown-model worst case against budgets.
    listModels: async (signal) => (await client.models.list({ output_modalities: 'all' }, { signal })).data,
    clock,
    ttlMs: 10 * 60_000,
    retryMs: 5_000,
  });
  opened.push(() => catalog.close());
  await syncModuleBudgets(ledger, config.modules);
  const meter = createMeter({
    ledger,
    catalog,
    clock,
    logger,
    defaultMaxTokens: config.defaultMaxTokens,
    profiles: config.modules,
  });
  const reconciler: Reconciler | undefined =
    input.reconcile === false || !config.reconciler.enabled
      ? undefined
      : ledger.reconciler({
          intervalMs: input.reconcileIntervalMs ?? config.reconciler.intervalMs,
          fetchGeneration: generationFetcher(client),
        });
  const metrics = createGatewayMetrics({
    ledgerQueueDepth: () => ledger.queueDepth(),
    ledgerJournaledWrites: () => ledger.writerStats().journaledOps,
    reconciliationLagSeconds: async () => ((await reconciler?.lagMs()) ?? 0) / 1000,
  });
  const context: GatewayContext = {
    client,
    meter,
    ledger,
    catalog,
    auth: createAuthenticator({ keys: ledger.keys, adminKey: config.gateway.adminKey, clock }),
    metrics,
    logger,
    clock,
    rateLimiter: new KeyRateLimiter(clock),
    secrets: [apiKey, config.gateway.adminKey].filter((secret): secret is string => Boolean(secret)),
    maxStreamsPerKey: input.maxStreamsPerKey ?? config.gateway.maxStreamsPerKey,
    storeBodies: config.storeBodies.enabled,
    inFlight: { calls: 0 },
  };
  const app = buildGatewayApp(context, config.gateway);
  opened.push(() => app.close());
  // Warm the catalogue so the first call does not wait for it (failures are retried in the background).
  void catalog
    .refresh()
    .catch((error: unknown) => logger.warn({ error: String(error) }, 'model catalogue not loaded yet'));
  registerDashboard(app, {
    ledger,
    authorize: async (request) =>
      requireAdmin(
        await context.auth.authenticate(request.headers.authorization),
        await context.auth.isOpen(),
      ),
  });
  const purgeTimer = config.storeBodies.enabled
    ? scheduleBodyPurge(ledger, config.storeBodies.retentionDays, logger)
    : undefined;
  opened.push(() => clearInterval(purgeTimer));
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  reconciler?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.gateway.port;
  const host = config.gateway.host.includes(':') ? `[${config.gateway.host}]` : config.gateway.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    context,
    ledger,
    simulator,
    close: () => {
      closing ??= (async () => {
        await app.close();
        clearInterval(purgeTimer);
        await reconciler?.stop();
        catalog.close();
        await ledger.close();
        await client.close();
        await simulator?.close();
      })();
      return closing;
    },
  };
}
