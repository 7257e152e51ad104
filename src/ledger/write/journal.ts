import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { serializeOp, type WriteOp } from './write-ops.ts';

export const JOURNAL_SUFFIX = '.journal.jsonl';

/** Past this many bytes, a journal whose ops are all committed starts afresh. */
const RESTART_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * The write journal: ops acknowledged before they are committed. One JSON line per op, appended
 * with one `write` before the caller goes on, so an acknowledged op survives a crash of this
 * process exactly as a commit under `synchronous=NORMAL` does (both sit in the operating system's
 * page cache, neither is fsync'd); the database takes the ops a few milliseconds later, many at a
 * time. After a crash, the next process to open the ledger replays the file like a spool
 * (replay-orphans.ts): ops are idempotent, so ops already committed before the crash change nothing.
 * A begin is journaled only when its id is new to the database and to this process's queue; an
 * id reused by another process within the same few milliseconds is not caught as a commit would.
 * One file per ledger instance, in the database's journal folder (`<file>.journal/`), which every
 * process opening the ledger looks in, whatever its spool settings.
 */
export class WriteJournal {
  readonly path: string;
  readonly #dir: string;
  #fd: number | undefined;
  #bytes = 0;

  constructor(dir: string, instanceId: string) {
    this.#dir = dir;
    this.path = join(dir, `${instanceId}${JOURNAL_SUFFIX}`);
  }

  /** Appends one op; throws when the file cannot take it (the caller then commits instead). */
  append(op: WriteOp): void {
    const line = Buffer.from(`${serializeOp(op)}\n`);
    if (this.#fd === undefined) {
      mkdirSync(this.#dir, { recursive: true });
      this.#fd = openSync(this.path, 'a');
    }
    let written = 0;
    while (written < line.length) written += writeSync(this.#fd, line, written);
    this.#bytes += line.length;
  }

  /** Every op appended so far is committed: a grown file starts afresh (a replay would redo it all). */
  committedAll(): void {
    if (this.#fd === undefined || this.#bytes < RESTART_AFTER_BYTES) return;
    ftruncateSync(this.#fd, 0);
    this.#bytes = 0;
  }

  /** Closes the file; removes it when everything in it is committed (`committed`). */
  close(committed: boolean): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    if (committed) rmSync(this.path, { force: true });
  }
}
