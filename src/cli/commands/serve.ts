import { getHeapStatistics } from 'node:v8';
import type { Command } from 'commander';
import type { GatewayContext } from '../../gateway/index.ts';
import { settleHeapAfterStartup } from '../settle-heap.ts';

interface ServeFlags {
  port?: string;
  host?: string;
  db?: string;
  simulator?: boolean;
}

/** A flag that cannot be used: its message is the one line the user sees. */
class FlagError extends Error {}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) {
    throw new FlagError(`--port must be a whole number from 0 to 65535 (got "${text}").`);
  }
  return Number(text);
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the gateway: an OpenAI-compatible, metered, budgeted front for OpenRouter.')
    .option('--port <n>', 'port to listen on (default 8787, or TOLLGATE_PORT)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1, or TOLLGATE_HOST)')
    .option('--db <url>', 'ledger: a SQLite path or postgres://… (default ./tollgate.db, or TOLLGATE_DB)')
    .option('--no-simulator', 'fail instead of starting the simulator when no OpenRouter key is set')
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

/**
 * Start-up ends when the model catalogue has loaded (in the background, after listening): then
 * its garbage and the module loading's are given back (see settle-heap.ts). That takes ~80 ms,
 * once, a few hundred ms after start: a call arriving meanwhile waits for it.
 */
function settleAfterCatalogue(context: GatewayContext): void {
  const loaded =
    context.catalog.status().models > 0
      ? Promise.resolve()
      : // Joins the start-up load still in flight (or retries a failed one).
        context.catalog.refresh().catch(() => {});
  void loaded.then(() => {
    const settled = settleHeapAfterStartup(() => getHeapStatistics().total_heap_size);
    if (settled)
      context.logger.debug(
        {
          heapBeforeMb: Math.round(settled.heapBefore / 2 ** 20),
          heapAfterMb: Math.round(settled.heapAfter / 2 ** 20),
          ms: Math.round(settled.ms),
        },
        'start-up garbage collected',
      );
  });
}

/**
 * The gateway's log destination, holding its lines until it listens: a start-up that fails then
 * prints only its one error line, with no JSON on stdout about a gateway that never ran (nor the
 * warnings its own clean-up causes, such as the catalogue load it aborts). Once listening, lines
 * go straight to stdout.
 */
async function heldStdoutLog() {
  const { default: pino } = await import('pino');
  // pino's own default destination: synchronous writes to fd 1.
  const stdout = pino.destination(1);
  let state: 'holding' | 'live' | 'dropped' = 'holding';
  const held: string[] = [];
  return {
    destination: {
      write(line: string) {
        if (state === 'live') stdout.write(line);
        else if (state === 'holding') held.push(line);
      },
    },
    release() {
      for (const line of held.splice(0)) stdout.write(line);
      state = 'live';
    },
    dropStartupLines() {
      held.length = 0;
      state = 'dropped';
    },
  };
}

/** A port or address the gateway could not listen on, said with the flag that fixes it. */
function listenFailure(
  error: unknown,
  where: { host: string; port: number },
): { message: string; exitCode: number } | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const at = `cannot listen on ${where.host}:${where.port}`;
  const reason =
    code === 'EADDRINUSE'
      ? 'the port is in use. Stop what listens there, or pick another --port (0 = any free port) or TOLLGATE_PORT.'
      : code === 'EADDRNOTAVAIL'
        ? `${where.host} is not an address of this machine. Pick another --host or TOLLGATE_HOST.`
        : code === 'EACCES'
          ? 'permission denied (ports below 1024 need privileges). Pick another --port or TOLLGATE_PORT.'
          : undefined;
  return reason === undefined ? undefined : { message: `${at}: ${reason}`, exitCode: 2 };
}

/** Starts the gateway, prints where it listens, and stops it on SIGTERM/SIGINT. */
async function serve(flags: ServeFlags): Promise<void> {
  const { loadConfig, ConfigError } = await import('../../config/index.ts');
  const { startGateway, StartupError, createLogger } = await import('../compose.ts');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      env: process.env,
      overrides: {
        gateway: { port: flags.port === undefined ? undefined : parsePort(flags.port), host: flags.host },
        db: { url: flags.db },
      },
    });
  } catch (error) {
    if (error instanceof FlagError || error instanceof ConfigError) {
      process.stderr.write(`tollgate serve: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (!config.openrouter.apiKey && flags.simulator === false) {
    process.stderr.write(
      'tollgate serve: OPENROUTER_API_KEY is not set. Set it (or put it in .env), or drop --no-simulator.\n',
    );
    process.exitCode = 2;
    return;
  }
  const log = await heldStdoutLog();
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      config,
      logger: createLogger(config.gateway.logLevel, log.destination),
    });
  } catch (error) {
    log.dropStartupLines();
    const failure =
      error instanceof StartupError
        ? { message: error.message, exitCode: 2 }
        : (listenFailure(error, config.gateway) ??
          (await import('../describe-error.ts')).describeError(error, {
            baseUrl: config.openrouter.baseUrl,
          }));
    process.stderr.write(`tollgate serve: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
    return;
  }
  log.release();
  const lines = [`tollgate gateway listening on ${gateway.url}`];
  lines.push(`  OpenAI SDK:     baseURL ${gateway.url}/v1`);
  lines.push(`  OpenRouter SDK: serverURL ${gateway.url}/api/v1`);
  lines.push(`  ledger:         ${config.db.url.startsWith('postgres') ? 'PostgreSQL' : config.db.url}`);
  if (gateway.simulator) {
    lines.push('');
    lines.push(
      `  OPENROUTER_API_KEY is not set: running on the built-in SIMULATOR (${gateway.simulator.url}).`,
    );
    lines.push('  Answers are simulated and nothing is spent. Set OPENROUTER_API_KEY to use OpenRouter.');
  }
  if (!config.gateway.adminKey && (await gateway.ledger.keys.list()).length === 0) {
    lines.push('');
    lines.push('  No keys configured: open to anyone on this machine, listening on loopback only.');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  // bin/tollgate.js enables Node's compile cache, which is written at exit; a server may never
  // exit normally (killed, crashed), so write what this start compiled now. No-op when the
  // cache is off, and cheap when nothing new was compiled.
  const { flushCompileCache } = await import('node:module');
  flushCompileCache();
  settleAfterCatalogue(gateway.context);

  const shutdown = (signal: string) => {
    process.stdout.write(
      `tollgate: ${signal} received, finishing in-flight calls and flushing the ledger…\n`,
    );
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`tollgate: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
