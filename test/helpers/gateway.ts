import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  type RunningGateway,
  type StartGatewayInput,
  startGateway,
} from '../../src/cli/compose.ts';
import { type ConfigOverrides, loadConfig } from '../../src/config/index.ts';
import {
  createSimulatorKey,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/simulator/index.ts';

export interface TestGateway {
  gateway: RunningGateway;
  sim: RunningSimulator;
  /** The OpenRouter key the gateway uses upstream (a simulator account). */
  upstreamKey: string;
  /** Every JSON log line the gateway wrote. */
  logs: string[];
  dir: string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  simulator?: SimulatorOptions;
  /** Config overrides merged over the test defaults (port 0, a temp SQLite ledger, 1 retry). */
  config?: ConfigOverrides;
  /** A ledger URL (e.g. PostgreSQL) instead of the temp SQLite file. */
  db?: string;
  start?: Partial<StartGatewayInput>;
}

/** A simulator and a gateway in front of it, on random loopback ports, torn down by `close`. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const sim = await startSimulator({ generationLagMs: 20, ...options.simulator });
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-gateway-'));
  const upstreamKey = createSimulatorKey();
  const logs: string[] = [];
  const config = loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      ...options.config,
      openrouter: {
        apiKey: upstreamKey,
        baseUrl: sim.url,
        maxRetries: 1,
        ...(options.config?.openrouter as object | undefined),
      },
      db: { url: options.db ?? join(dir, 'ledger.db') },
      gateway: { port: 0, logLevel: 'debug', ...(options.config?.gateway as object | undefined) },
    },
  });
  const gateway = await startGateway({
    config,
    logger: createLogger('debug', { write: (line: string) => void logs.push(line) }),
    simulatorWhenNoKey: false,
    reconcile: false,
    ledgerOptions: { heartbeatMs: 0 },
    ...options.start,
  });
  return {
    gateway,
    sim,
    upstreamKey,
    logs,
    dir,
    close: async () => {
      await gateway.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (rows are completed just after a caller disconnects). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
