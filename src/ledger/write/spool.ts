import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { appendFile, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JOURNAL_SUFFIX } from './journal.ts';
import { parseOp, serializeOp, type WriteOp } from './write-ops.ts';

const SUFFIX = '.spool.jsonl';

/**
 * The local append-only spool used while the database is unreachable: one JSON line per write op,
 * fsync'd before the caller is answered, one file per ledger instance (so replicas sharing a folder
 * never interleave or truncate each other's files). Replaying is safe to repeat: ops are idempotent.
 */
export class Spool {
  readonly path: string;
  readonly #dir: string;
  #pending = 0;

  constructor(dir: string, instanceId: string) {
    this.#dir = dir;
    this.path = join(dir, `${instanceId}${SUFFIX}`);
  }

  /** Ops written since the last `clear()`. */
  get pendingOps(): number {
    return this.#pending;
  }

  async append(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const created = this.#pending === 0 ? ensureDirectory(this.#dir) : false;
    const handle = await open(this.path, 'a');
    try {
      await handle.writeFile(`${ops.map(serializeOp).join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) syncDirectory(this.#dir);
    this.#pending += ops.length;
  }

  async read(): Promise<WriteOp[]> {
    return await readSpoolFile(this.path);
  }

  /** Forgets the ops once they are committed to the database. */
  async clear(): Promise<void> {
    await rm(this.path, { force: true });
    this.#pending = 0;
  }

  /** Keeps an op the database refused as bad data, for a person to look at; it is never retried. */
  async reject(op: WriteOp, reason: string): Promise<void> {
    ensureDirectory(this.#dir);
    await appendFile(`${this.path}.rejected`, `${JSON.stringify({ reason, op: serializeOp(op) })}\n`);
  }
}

/** Reads a spool file; a torn last line (a crash mid-write, never acknowledged) is skipped. */
export async function readSpoolFile(path: string): Promise<WriteOp[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  // Every acknowledged op ends with '\n': the last piece is either '' or a torn, unacknowledged line.
  const complete = text.split('\n').slice(0, -1);
  const ops: WriteOp[] = [];
  for (const line of complete) if (line.trim() !== '') ops.push(parseOp(line));
  return ops;
}

/**
 * Spool and journal files in `dir` (journal.ts), each with the instance that wrote it. An
 * instance's journal comes before its spool: its ops were acknowledged before any the database
 * outage sent to the spool (which holds again those the journal had not yet committed).
 */
export async function listSpoolFiles(
  dir: string,
): Promise<Array<{ instanceId: string; path: string; kind: 'journal' | 'spool' }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.flatMap((name) => {
    for (const [suffix, kind] of [
      [JOURNAL_SUFFIX, 'journal'],
      [SUFFIX, 'spool'],
    ] as const) {
      if (name.endsWith(suffix))
        return [{ instanceId: name.slice(0, -suffix.length), path: join(dir, name), kind }];
    }
    return [];
  });
  return files.sort(replayOrder);
}

/** By instance; an instance's journal before its spool. */
export function replayOrder(
  a: { instanceId: string; kind: 'journal' | 'spool' },
  b: { instanceId: string; kind: 'journal' | 'spool' },
): number {
  if (a.instanceId !== b.instanceId) return a.instanceId < b.instanceId ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind === 'journal' ? -1 : 1;
}

function ensureDirectory(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  return true;
}

/** fsync the folder so a newly created spool file's entry survives power loss. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the file's own fsync still happened.
  }
}
