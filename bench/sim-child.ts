import { startSimulator } from '../src/simulator/index.ts';
import { announceReady, exitOnSignal } from './processes.ts';

/**
 * The simulator in its own process, with zero latency: every bench target calls it, so it must
 * not share an event loop with the proxy being measured. Paced streams are asked for per request
 * with the X-Simulator-Fault header.
 */
const sim = await startSimulator({
  port: 0,
  generationLagMs: 0,
  // Plenty of credit: a long run sends hundreds of thousands of calls on one account.
  credits: 1_000_000,
  // History is kept in memory; a bounded ring keeps the simulator's own memory flat.
  historyLimit: 10_000,
});
exitOnSignal(() => sim.close());
announceReady(sim.origin, { apiUrl: sim.url });
