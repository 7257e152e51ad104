import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSimulatorKey,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../src/simulator/index.ts';

export const BIN = fileURLToPath(new URL('../bin/tollgate.js', import.meta.url));
export const MODEL = 'openai/gpt-4o-mini';

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the real binary with exactly this environment (nothing inherited but PATH). */
export function spawnCli(
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string; stdin?: string },
): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  // A closed stdin, as under cron or CI: the CLI must not wait for input it was not given.
  child.stdin.end(options.stdin ?? '');
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

export async function runCli(
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string; stdin?: string },
): Promise<CliResult> {
  const run = spawnCli(args, options);
  const code = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Parses stdout as one JSON document, failing with the whole output when it is not. */
export function json<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A simulator, a temp folder with a ledger path, and the environment the CLI reads. */
export interface CliWorld {
  sim: RunningSimulator;
  dir: string;
  db: string;
  key: string;
  env: Record<string, string>;
  run(args: readonly string[], extra?: { env?: Record<string, string>; stdin?: string }): Promise<CliResult>;
  close(): Promise<void>;
}

export async function startCliWorld(simulator: SimulatorOptions = {}): Promise<CliWorld> {
  const sim = await startSimulator({ generationLagMs: 20, ...simulator });
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  const db = join(dir, 'ledger.db');
  const key = createSimulatorKey();
  const env = { OPENROUTER_API_KEY: key, OPENROUTER_BASE_URL: sim.url, TOLLGATE_DB: db };
  return {
    sim,
    dir,
    db,
    key,
    env,
    run: (args, extra = {}) =>
      runCli(args, {
        env: { ...env, ...extra.env },
        cwd: dir,
        ...(extra.stdin === undefined ? {} : { stdin: extra.stdin }),
      }),
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every line of a JSONL file's text, parsed (throws on a partial or invalid line). */
export function parseJsonl(text: string): Record<string, unknown>[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the file does not end with a complete line');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
