/**
 * The batch output file: JSON lines, appended one whole line per write(2) on an O_APPEND
 * descriptor, so however the process stops (Ctrl-C, --max-cost, a crash between lines) the file
 * holds only complete lines. On open it tells which ids are already done, which is what makes a
 * rerun resume instead of paying twice.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { type Money, moneyFromUsd } from '../../shared/money.ts';
import type { BatchId } from './batch-input.ts';
import { idKey } from './batch-input.ts';

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
  generation_id: string | null;
  /** tollgate's ledger row id. */
  request_id?: string | null;
  latency_ms?: number | null;
}

export interface ExistingOutput {
  /** Keys (`idKey`) of the ids already written. */
  done: Set<string>;
  /** Lines dropped on open: an unterminated last line, or failed lines with --retry-failed. */
  dropped: number;
  /** What the kept lines cost, exactly (lines of unknown cost count nothing). */
  spent: Money;
}

/**
 * Reads what an earlier run wrote. An unterminated last line (a process killed mid-write by
 * something stronger than SIGINT) is cut off; with `retryFailed`, error lines are removed so their
 * ids run again (rewritten to a temporary file, then renamed over the output: never half-written).
 */
export async function readExistingOutput(path: string, retryFailed: boolean): Promise<ExistingOutput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      return { done: new Set(), dropped: 0, spent: 0n };
    }
    throw error;
  }
  let dropped = 0;
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    await truncate(path, Buffer.byteLength(text.slice(0, end)));
    text = text.slice(0, end);
    dropped += 1;
  }
  const done = new Set<string>();
  const kept: string[] = [];
  let spent: Money = 0n;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      kept.push(line); // not ours to judge: left in place, its id (if any) is unknown
      continue;
    }
    const id = typeof record === 'object' && record !== null && 'id' in record ? record.id : undefined;
    const failed = typeof record === 'object' && record !== null && 'error' in record;
    if (retryFailed && failed) {
      dropped += 1;
      continue;
    }
    kept.push(line);
    if (typeof id === 'string' || typeof id === 'number') done.add(idKey(id));
    const cost = typeof record === 'object' && record !== null && 'cost' in record ? record.cost : undefined;
    if (typeof cost === 'string' && /^\d+(\.\d+)?$/.test(cost)) spent += moneyFromUsd(cost);
  }
  if (retryFailed && kept.length < text.split('\n').filter((line) => line.trim() !== '').length) {
    const temporary = `${path}.tmp-${process.pid}`;
    await writeFile(temporary, kept.map((line) => `${line}\n`).join(''));
    await rename(temporary, path);
  }
  return { done, dropped, spent };
}

export class BatchOutput {
  readonly #fd: number;
  #closed = false;

  constructor(path: string) {
    this.#fd = openSync(path, 'a');
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
