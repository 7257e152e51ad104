/**
 * The batch output file: JSON lines, appended one whole line per write(2) on an O_APPEND
 * descriptor, so however the process stops (Ctrl-C, --max-cost, a crash between lines) the file
 * holds only complete lines. On open it tells which ids are already done, which is what makes a
 * rerun resume instead of paying twice.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Money, moneyFromUsd, moneyToUsdString } from '../../shared/money.ts';
import { UsageError } from '../flags.ts';
import type { BatchId } from './batch-input.ts';
import { idKey } from './batch-input.ts';

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Checks -o before anything is read, opened or sent: the output must be a file (existing or not)
 * in an existing folder. Returns whether it exists already.
 */
export async function checkOutputPath(path: string): Promise<boolean> {
  const fix = 'Give -o the path of a JSONL file in an existing folder, e.g. -o answers.jsonl';
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError(`-o/--output ${path} is a folder. ${fix}`);
    return true;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw asOutputUsageError(path, error);
  }
  const folder = dirname(path);
  const isFolder = await stat(folder).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isFolder) throw new UsageError(`-o/--output ${path}: the folder ${folder} does not exist. ${fix}`);
  return false;
}

/** A file-system error about the output path as the usage error it is (the path is the user's). */
function asOutputUsageError(path: string, error: unknown): Error {
  if (error instanceof UsageError) return error;
  const code = errnoCode(error);
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a folder'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a folder'
            : error instanceof Error
              ? error.message
              : String(error);
  return new UsageError(`-o/--output ${path}: cannot write it (${reason}). Pick another -o.`);
}

export interface BatchRecord {
  id: BatchId;
  text?: string;
  error?: { code: string; message: string; status?: number };
  model?: string | null;
  provider?: string | null;
  finish_reason?: string | null;
  usage?: unknown;
  /** Exact USD as decimal text; null when the cost is not known yet. */
  cost: string | null;
  /** What earlier failed attempts at this id cost (their lines folded in after --retry-failed). */
  earlier_attempts_cost?: string;
  generation_id: string | null;
  /** tollgate's ledger row id. */
  request_id?: string | null;
  latency_ms?: number | null;
}

export interface ExistingOutput {
  /** Keys (`idKey`) of the ids already written (with --retry-failed: not counting failed ones). */
  done: Set<string>;
  /** Lines dropped on open: an unterminated last line. */
  dropped: number;
  /** With --retry-failed: ids whose line is an error, to run again. */
  retrying: number;
  /**
   * What every line in the file cost, exactly, failed lines and earlier attempts included: a
   * billed error still spent money, so it counts against --max-cost (unknown costs count nothing).
   */
  spent: Money;
}

/** One non-blank line of the output file as read back. */
interface OutputLine {
  text: string;
  /** `idKey` of its id; undefined for a line that is not one of ours (kept as it is). */
  key: string | undefined;
  record: Record<string, unknown> | undefined;
  failed: boolean;
  /** Its own cost plus `earlier_attempts_cost`. */
  cost: Money;
}

function usdField(record: Record<string, unknown>, field: string): Money {
  const value = record[field];
  return typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? moneyFromUsd(value) : 0n;
}

function readLine(text: string): OutputLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { text, key: undefined, record: undefined, failed: false, cost: 0n }; // not ours to judge
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { text, key: undefined, record: undefined, failed: false, cost: 0n };
  }
  const record = parsed as Record<string, unknown>;
  const id = record.id;
  return {
    text,
    key: typeof id === 'string' || typeof id === 'number' ? idKey(id) : undefined,
    record,
    failed: 'error' in record,
    cost: usdField(record, 'cost') + usdField(record, 'earlier_attempts_cost'),
  };
}

/**
 * Reads what earlier runs wrote. An unterminated last line (a process killed mid-write by
 * something stronger than SIGINT) is cut off.
 *
 * With `retryFailed`, ids whose line is an error are not done, so they run again; their lines stay
 * in the file until then, because what those calls were billed must keep counting against
 * --max-cost however this run ends. An id with several lines (an error line, then its retry) is
 * folded into one line, the newest success if any, whose `earlier_attempts_cost` carries what
 * the others cost: one line per id, and no money forgotten. The fold rewrites the file to a
 * temporary one renamed over it, so it is never half-written.
 */
export async function readExistingOutput(path: string, retryFailed: boolean): Promise<ExistingOutput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { done: new Set(), dropped: 0, retrying: 0, spent: 0n };
    throw asOutputUsageError(path, error);
  }
  let dropped = 0;
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    await truncate(path, Buffer.byteLength(text.slice(0, end)));
    text = text.slice(0, end);
    dropped += 1;
  }
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(readLine);
  const byId = new Map<string, OutputLine[]>();
  for (const line of lines) {
    if (line.key === undefined) continue;
    const same = byId.get(line.key);
    if (same) same.push(line);
    else byId.set(line.key, [line]);
  }
  const done = new Set<string>();
  let retrying = 0;
  let folded = false;
  const replaced = new Map<OutputLine, string | undefined>(); // line → its new text (undefined: removed)
  for (const [key, same] of byId) {
    const current = same.findLast((line) => !line.failed) ?? (same.at(-1) as OutputLine);
    if (same.length > 1) {
      folded = true;
      const earlier =
        same.reduce((sum, line) => sum + line.cost, 0n) - usdField(current.record ?? {}, 'cost');
      for (const line of same) replaced.set(line, undefined);
      replaced.set(
        current,
        JSON.stringify({ ...current.record, earlier_attempts_cost: moneyToUsdString(earlier) }),
      );
    }
    if (retryFailed && current.failed) retrying += 1;
    else done.add(key);
  }
  const spent = lines.reduce((sum, line) => sum + line.cost, 0n);
  if (folded) {
    const kept = lines.flatMap((line) => {
      if (!replaced.has(line)) return [line.text];
      const replacement = replaced.get(line);
      return replacement === undefined ? [] : [replacement];
    });
    const temporary = `${path}.tmp-${process.pid}`;
    await writeFile(temporary, kept.map((line) => `${line}\n`).join(''));
    await rename(temporary, path);
  }
  return { done, dropped, retrying, spent };
}

/** After a run with --retry-failed: fold each retried id's lines into one (see `readExistingOutput`). */
export async function compactBatchOutput(path: string): Promise<void> {
  await readExistingOutput(path, false);
}

export class BatchOutput {
  readonly #fd: number;
  #closed = false;

  /** Opens (creates) the file for appending; a path that cannot be written is a UsageError. */
  constructor(path: string) {
    try {
      this.#fd = openSync(path, 'a');
    } catch (error) {
      throw asOutputUsageError(path, error);
    }
  }

  /** One record, one line, one synchronous append: no interleaving, no partial line. */
  write(record: BatchRecord): void {
    if (this.#closed) throw new Error('batch output is closed');
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    // A regular file takes the whole buffer in one write(2); the loop only guards short writes,
    // which, being synchronous on an O_APPEND descriptor, still land contiguously.
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
  }
}
