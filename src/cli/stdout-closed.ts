/**
 * What the command line does when its output goes away: `tollgate spend | head -1`, where `head`
 * exits after one line and the next write to the pipe fails with EPIPE. Node ignores SIGPIPE and
 * reports the failure as an 'error' event on process.stdout, which, unhandled, crashes with a stack
 * trace, mid-command: a streamed `chat` then dies with its ledger row still `pending`.
 *
 * Instead, once: the first failed write marks stdout closed. The stream is destroyed by then, so
 * later writes are dropped without further errors; the command runs to its end (a call in flight
 * is told, through `onStdoutClosed`, so `chat` can cancel it), its ledger work commits and closes,
 * and the process exits on its own.
 *
 * The exit code for EPIPE is 141 (128 + SIGPIPE), what the shell reports for `cat`, `grep` or `yes`
 * when their reader leaves, and which it prints nothing for: a script with `set -o pipefail` sees
 * tollgate as it sees any other producer, and 0 would claim the whole output was delivered. A
 * failure the command itself reported (1, 2, 3, 130…) is more telling and wins. Any other write
 * error (a full disk, EIO) is not the reader's choice: one line on stderr, and exit 1.
 */

/** 128 + SIGPIPE (13): the status a shell shows for a producer whose reader went away. */
export const BROKEN_PIPE_EXIT_CODE = 141;

/** How stdout was lost, once it is: 'pipe' is the reader leaving, 'error' anything else. */
type Closed = 'pipe' | 'error';

let closed: Closed | undefined;
let guarded = false;
const listeners = new Set<() => void>();

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function markClosed(how: Closed): void {
  if (closed !== undefined) return;
  closed = how;
  for (const listener of [...listeners]) listener();
  listeners.clear();
}

/** The exit code to end with, given the one the command chose (undefined or 0 when it succeeded). */
export function exitCodeAfterOutput(
  code: number | string | null | undefined,
  how: Closed | undefined,
): number {
  const chosen = Number(code ?? 0) || 0;
  if (chosen !== 0 || how === undefined) return chosen;
  return how === 'pipe' ? BROKEN_PIPE_EXIT_CODE : 1;
}

/**
 * Installs the handlers on process.stdout and process.stderr (once per process). A lost stderr
 * is only noted: there is nowhere left to report it, and the command's own result is unchanged.
 */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (error: unknown) => {
    const code = errorCode(error);
    if (code === 'EPIPE') {
      markClosed('pipe');
      return;
    }
    if (closed === undefined) {
      process.stderr.write(
        `tollgate: cannot write the output (${code ?? String(error)}); what was printed is incomplete.\n`,
      );
    }
    markClosed('error');
  });
  process.stderr.on('error', () => {});
  // Set on the way out, not when the error arrives: the command may still be finishing (and may
  // set its own code) after its last write failed.
  process.once('exit', () => {
    process.exitCode = exitCodeAfterOutput(process.exitCode, closed);
  });
}

/** True once a write to stdout has failed: nothing more will reach the reader. */
export function stdoutClosed(): boolean {
  return closed !== undefined;
}

/**
 * Calls `listener` once when stdout goes away (at once if it already has), so a command can stop
 * work whose only purpose was output. Returns the function that unsubscribes.
 */
export function onStdoutClosed(listener: () => void): () => void {
  if (closed !== undefined) {
    listener();
    return () => {};
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}
