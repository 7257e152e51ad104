import type { Command } from 'commander';

/** Raw flag values as commander hands them over (strings; booleans for switches). */
interface SimulateFlags {
  port?: string;
  host?: string;
  generationLagMs?: string;
  firstTokenMs?: string;
  tokensPerSecond?: string;
  faultRate?: string;
  credits?: string;
  seed?: string;
  stallMs?: string;
  strictKeys?: boolean;
  managementKey?: string;
  listFaults?: boolean;
}

/** Thrown for a bad flag; the message is the one line the user sees. */
class FlagError extends Error {}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('Run the offline OpenRouter simulator (same routes and payloads, under /api/v1).')
    .option('--port <n>', 'port to listen on; 0 picks a free port', '0')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--generation-lag-ms <ms>', 'GET /generation answers 404 for this long after a call', '500')
    .option('--first-token-ms <ms>', 'delay before the first token', '0')
    .option('--tokens-per-second <n>', 'output pacing; 0 = as fast as possible', '0')
    .option('--fault-rate <r>', 'probability (0..1) of a random fault per inference request', '0')
    .option('--credits <usd>', 'starting credit of every account, in USD', '100')
    .option('--seed <n>', 'seed for answers and random faults', '1')
    .option('--stall-ms <ms>', 'how long the stall fault stalls', '60000')
    .option('--strict-keys', 'accept only issued keys, exactly like OpenRouter')
    .option('--management-key <key>', 'management key to use (default: a fresh one, printed at start)')
    .option('--list-faults', 'print the fault names (for X-Simulator-Fault) and exit')
    .action(async (flags: SimulateFlags) => {
      const { startSimulator, SIMULATOR_FAULTS, FAULT_INFO } = await import('../../simulator/index.ts');
      if (flags.listFaults === true) {
        const width = Math.max(...SIMULATOR_FAULTS.map((name) => name.length));
        for (const name of SIMULATOR_FAULTS) {
          process.stdout.write(`${name.padEnd(width)}  ${FAULT_INFO[name].description}\n`);
        }
        process.stdout.write(
          '\nSend `X-Simulator-Fault: <name>[;times=N][;ms=M]` (comma-separate steps) on an inference request.\n',
        );
        return;
      }
      let options: ReturnType<typeof parseFlags>;
      try {
        options = parseFlags(flags);
      } catch (error) {
        if (!(error instanceof FlagError)) throw error;
        process.stderr.write(`tollgate simulate: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      let simulator: Awaited<ReturnType<typeof startSimulator>>;
      try {
        simulator = await startSimulator(options);
      } catch (error) {
        const code = error instanceof Error && 'code' in error ? error.code : undefined;
        if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') throw error;
        process.stderr.write(
          `tollgate simulate: cannot listen on ${options.host}:${options.port} (${code}). Pick another --port (0 = any free port) or --host.\n`,
        );
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`tollgate simulator listening on ${simulator.url}\n`);
      if (options.strictKeys) process.stdout.write(`management key: ${simulator.managementKey}\n`);
      else
        process.stdout.write(
          'any non-empty bearer key is accepted (its own account); --strict-keys to change\n',
        );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await simulator.close();
      process.stdout.write('tollgate simulator stopped\n');
    });
}

function parseFlags(flags: SimulateFlags) {
  const host = (flags.host ?? '127.0.0.1').trim();
  if (host === '') throw new FlagError('--host must not be empty. Example: --host 127.0.0.1');
  return {
    port: integer('--port', flags.port, 0, 65535, '--port 8080, or --port 0 for any free port'),
    host,
    generationLagMs: number(
      '--generation-lag-ms',
      flags.generationLagMs,
      0,
      Infinity,
      '--generation-lag-ms 500',
    ),
    firstTokenMs: number('--first-token-ms', flags.firstTokenMs, 0, Infinity, '--first-token-ms 200'),
    tokensPerSecond: number(
      '--tokens-per-second',
      flags.tokensPerSecond,
      0,
      Infinity,
      '--tokens-per-second 50 (0 = unpaced)',
    ),
    faultRate: number('--fault-rate', flags.faultRate, 0, 1, '--fault-rate 0.05 for 5% of requests'),
    credits: number('--credits', flags.credits, 0, Infinity, '--credits 25'),
    seed: integer('--seed', flags.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '--seed 42'),
    stallMs: number('--stall-ms', flags.stallMs, 0, Infinity, '--stall-ms 5000'),
    strictKeys: flags.strictKeys === true,
    ...(flags.managementKey === undefined
      ? {}
      : { managementKey: nonEmpty('--management-key', flags.managementKey) }),
  };
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new FlagError(`${flag} must not be empty. Example: ${flag} sk-or-v1-test`);
  return value.trim();
}

function number(flag: string, raw: string | undefined, min: number, max: number, example: string): number {
  const text = (raw ?? '').trim();
  const value = text.toLowerCase() === 'infinity' ? Infinity : Number(text);
  if (
    text === '' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (!Number.isFinite(value) && max !== Infinity)
  ) {
    const range = max === Infinity ? `a number ≥ ${min}` : `a number from ${min} to ${max}`;
    throw new FlagError(`${flag} must be ${range} (got "${raw ?? ''}"). Example: ${example}`);
  }
  return value;
}

function integer(flag: string, raw: string | undefined, min: number, max: number, example: string): number {
  const text = (raw ?? '').trim();
  const value = Number(text);
  if (text === '' || !Number.isInteger(value) || value < min || value > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? 'a whole number' : `a whole number from ${min} to ${max}`;
    throw new FlagError(`${flag} must be ${range} (got "${raw ?? ''}"). Example: ${example}`);
  }
  return value;
}
