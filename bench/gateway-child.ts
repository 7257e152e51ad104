import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, startGateway } from '../src/cli/compose.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSimulatorKey } from '../src/simulator/index.ts';
import { announceReady, exitOnSignal } from './processes.ts';

/**
 * tollgate's gateway as it runs in production (ledger on, SQLite in a temp folder, JSON logs at
 * info level to a discarded stdout), in front of the simulator child given by --upstream.
 * The background reconciler is off: it polls /generation seconds later, which would charge
 * unrelated work to whichever round happens to be running.
 */
const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    'sqlite-sync': { type: 'string', default: 'normal' },
    'no-journal': { type: 'boolean', default: false },
  },
});
if (!values.upstream) throw new Error('gateway-child: --upstream <simulator api url> is required');
const synchronous = values['sqlite-sync'] === 'full' ? 'full' : 'normal';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-gw-'));
const config = loadConfig({
  env: {},
  cwd: dir,
  overrides: {
    openrouter: { apiKey: createSimulatorKey(), baseUrl: values.upstream },
    db: { url: join(dir, 'ledger.db') },
    // Open mode has no per-key stream cap; set one far above what the bench holds anyway.
    gateway: { port: 0, logLevel: 'info', maxStreamsPerKey: 100_000 },
  },
});
const gateway = await startGateway({
  config,
  logger: createLogger('info'),
  simulatorWhenNoKey: false,
  reconcile: false,
  // NORMAL (as shipped: WAL, crash-safe for the process) by default; FULL to see what an fsync per commit costs.
  // The journal as shipped, unless --no-journal asks for a commit before every acknowledgement.
  ledgerOptions: { sqlite: { synchronous }, ...(values['no-journal'] ? { journal: false } : {}) },
});
// Wait for the model catalogue so the first measured call does not pay for loading it.
for (let i = 0; i < 200 && gateway.context.catalog.status().models === 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 25));
}
exitOnSignal(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});
announceReady(gateway.url, { db: join(dir, 'ledger.db') });
