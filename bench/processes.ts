import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Child processes under test. The simulator, the baseline proxy and the gateway each run in their
 * own process so the load generator (this process) does not share their event loop, and so their
 * CPU time and memory can be read from /proc per process.
 */

export interface ReadyMessage {
  type: 'ready';
  /** Base URL the child serves, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Extra facts the child reports (the simulator's API base, the gateway's db path…). */
  info?: Record<string, string>;
}

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  readonly info: Record<string, string>;
  /** Sends SIGTERM and waits for exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Forks `module` (a .ts file Node runs directly) and waits for its `ready` message. */
export async function startChild(
  name: string,
  module: URL,
  args: readonly string[],
  options: { execArgv?: readonly string[]; timeoutMs?: number } = {},
): Promise<BenchChild> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // stdout is discarded: the gateway logs JSON lines there in production, and writing them is
  // part of its real cost, but the bench must not print them.
  const child = fork(module, [...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
  });
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: no ready message in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      if (isReady(message)) resolve(message);
      else reject(new Error(`${name}: unexpected message ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: no pid`);
  return { name, pid, url: ready.url, info: ready.info ?? {}, stop: () => stopChild(child) };
}

function isReady(message: unknown): message is ReadyMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'ready' &&
    typeof (message as { url?: unknown }).url === 'string'
  );
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Tells the parent (when there is one) that this child serves `url`. */
export function announceReady(url: string, info?: Record<string, string>): void {
  const message: ReadyMessage = { type: 'ready', url, ...(info ? { info } : {}) };
  process.send?.(message);
}

/** Stops `close` on SIGTERM/SIGINT or when the parent goes away, then exits. */
export function exitOnSignal(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bench child: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux ABI Node supports.

/** utime + stime of a process in milliseconds, or undefined where /proc is not available. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The whole machine's CPU time so far, all cores together, in clock ticks: busy and in all. */
export interface MachineCpu {
  busy: number;
  total: number;
}

/**
 * From the first line of /proc/stat (user nice system idle iowait irq softirq steal …); time
 * stolen by a hypervisor counts as busy: the processes here could not have it. Undefined where
 * /proc is not available.
 */
export function machineCpu(): MachineCpu | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((value) => !Number.isFinite(value))) return undefined;
    const total = ticks.reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Resident set size in MB (VmRSS; or RssAnon: the process's own memory, without the ~50 MB of
 * the node binary and libraries mapped from disk), or undefined where /proc is not available.
 */
export function rssMb(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}
