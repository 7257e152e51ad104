import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The real gateway as a child process: `node bin/tollgate.js serve`, exactly what an operator runs,
 * so a SIGKILL ends the ledger's owner and nothing of the test process goes with it.
 */

const BIN = fileURLToPath(new URL('../../bin/tollgate.js', import.meta.url));
const LISTENING = /^tollgate gateway listening on (http:\/\/\S+)$/;

export interface GatewayProcessOptions {
  /** Ledger URL (`--db`). */
  db: string;
  /** The simulator's base URL and a key for it (OPENROUTER_BASE_URL, OPENROUTER_API_KEY). */
  upstreamUrl: string;
  upstreamKey: string;
  /** `--port`; 0 (default) lets the kernel choose, read back from the banner. */
  port?: number;
  /** More environment (TOLLGATE_ADMIN_KEY, TOLLGATE_MAX_RETRIES…). */
  env?: Record<string, string>;
  /** Flags for node itself, before the script (e.g. `--import` of a probe). */
  nodeArgs?: readonly string[];
  /** Working folder (the PostgreSQL spool defaults to ./tollgate-spool); default a fresh temp folder. */
  cwd?: string;
  startTimeoutMs?: number;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** Every stdout line so far (the banner and pino's JSON lines). */
  readonly lines: string[];
  /** The last few KB of stderr, for failure messages. */
  stderr(): string;
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (if still running) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** pino lines whose `msg` equals `msg`, parsed. */
  logs(msg: string): Record<string, unknown>[];
}

const running = new Set<GatewayProcess>();

/** Kills every gateway process still running (for `afterAll`/`afterEach`, after a failed test). */
export async function killGatewayProcesses(): Promise<void> {
  await Promise.all([...running].map((gateway) => gateway.kill('SIGKILL')));
}

/** Variables of the parent that would change the child's configuration behind the test's back. */
function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('TOLLGATE_') || name.startsWith('OPENROUTER_')) continue;
    env[name] = value;
  }
  return env;
}

/** Starts `tollgate serve` and resolves once it prints its banner (rejects with its stderr if it dies). */
export async function spawnGateway(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const ownFolder = options.cwd === undefined ? mkdtempSync(join(tmpdir(), 'tollgate-gw-cwd-')) : undefined;
  const cwd = options.cwd ?? ownFolder ?? tmpdir();
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      BIN,
      'serve',
      '--port',
      String(options.port ?? 0),
      '--db',
      options.db,
      '--no-simulator',
    ],
    {
      cwd,
      env: {
        ...cleanEnvironment(),
        OPENROUTER_API_KEY: options.upstreamKey,
        OPENROUTER_BASE_URL: options.upstreamUrl,
        TOLLGATE_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-8_000);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start in time; stderr: ${stderr}`)),
      options.startTimeoutMs ?? 20_000,
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const match = LISTENING.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening; stderr: ${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    if (ownFolder) rmSync(ownFolder, { recursive: true, force: true });
    throw error;
  });
  const gateway: GatewayProcess = {
    child,
    pid: child.pid ?? 0,
    url,
    port: Number(new URL(url).port),
    lines,
    stderr: () => stderr,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
    logs(msg) {
      const found: Record<string, unknown>[] = [];
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) found.push(parsed);
      }
      return found;
    },
  };
  running.add(gateway);
  void exited.then(() => {
    running.delete(gateway);
    if (ownFolder) rmSync(ownFolder, { recursive: true, force: true });
  });
  return gateway;
}
