import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { LedgerLogger } from '../ledger-types.ts';

/**
 * Checkpoints a WAL-mode SQLite database from a worker thread. Left to itself, SQLite checkpoints
 * in whichever connection commits past 1,000 WAL pages: on the event loop, in the middle of a
 * caller's write, copying megabytes back into the database file and fsyncing it. Measured on the
 * write path (each row dirties a page of the user and generation-id indexes and of the daily
 * rollup, at random), that was a third of the time per row, and a stall of milliseconds every
 * hundred or so calls. Here a second connection, on its own thread, runs PASSIVE checkpoints
 * (which never wait for, nor block, the writer) every quarter second while there are new frames; the main
 * connection keeps a high auto-checkpoint threshold only as a backstop should this thread fall
 * behind (its checkpoint then has little left to copy).
 *
 * The thread costs some 14 MB: it starts only once the process has written about as much as
 * makes SQLite's first checkpoint due, so a short command or an idle server never pays for it.
 *
 * The worker loads the same better-sqlite3 addon, so both connections share one SQLite library
 * and its POSIX lock bookkeeping (two SQLite copies in one process could release each other's locks).
 */

/** WAL pages after which the main connection checkpoints anyway (SQLite's default is 1,000). */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

/** Write transactions after which the thread starts (about SQLite's 1,000 pages of WAL). */
const THREAD_AFTER_WRITES = 150;

export interface SqliteCheckpointer {
  /** Counts a committed write transaction; starts the thread when they are enough. */
  noteWrite(): void;
  stop(): Promise<void>;
}

// CommonJS, run with `eval`: a file beside this one would have to exist both as .ts (sources run
// directly) and as .js (the built package).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.path, { fileMustExist: true });
database.pragma('synchronous = ' + workerData.synchronous);
database.pragma('busy_timeout = 0');
let timer;
let stopped = false;
let lastFrames = -1;
function checkpoint() {
  if (stopped) return;
  let delay = workerData.idleMs;
  try {
    const [result] = database.pragma('wal_checkpoint(PASSIVE)');
    // The WAL changed since the last look: writes are coming, look again soon.
    const frames = result ? Number(result.log) : -1;
    if (frames !== lastFrames) delay = workerData.busyMs;
    lastFrames = frames;
  } catch {
    // Busy (another process is checkpointing) or the file is going away: try again later.
  }
  timer = setTimeout(checkpoint, delay);
}
timer = setTimeout(checkpoint, workerData.busyMs);
parentPort.on('message', () => {
  stopped = true;
  clearTimeout(timer);
  database.close();
  parentPort.close();
});
`;

interface CheckpointerOptions {
  /** The main connection, whose auto-checkpoint threshold the thread takes over. */
  database: BetterSqlite3.Database;
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  logger: LedgerLogger;
}

export function sqliteCheckpointer(options: CheckpointerOptions): SqliteCheckpointer {
  let writes = 0;
  let thread: CheckpointThread | undefined;
  return {
    noteWrite() {
      if (thread !== undefined || ++writes < THREAD_AFTER_WRITES) return;
      options.database.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      thread = startThread(options, () => {
        // The thread failed: SQLite's own checkpoints on this connection take over again.
        options.database.pragma('wal_autocheckpoint = 1000');
      });
    },
    async stop() {
      await thread?.stop();
    },
  };
}

interface CheckpointThread {
  stop(): Promise<void>;
}

function startThread(options: CheckpointerOptions, onFailure: () => void): CheckpointThread {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: options.path,
      synchronous: options.synchronous,
      // Each checkpoint copies every page touched since the last one and fsyncs the database
      // file, so hot pages (rollup cells, index leaves) are copied once per checkpoint: measured
      // under c=64 gateway load, the thread's CPU per call was 122 µs checkpointing every 10 ms,
      // 49 µs every 100 ms, 26 µs every 250 ms and 15 µs every second. A quarter second keeps
      // the WAL far below the backstop at thousands of calls per second.
      busyMs: 250,
      idleMs: 1_000,
    },
    // A checkpointer needs little: keep the thread's heap small.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // Never the reason the process stays up.
  worker.unref();
  let running = true;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (error) => {
    if (!running) return;
    running = false;
    options.logger.warn({ err: String(error) }, 'ledger: SQLite checkpoint thread failed');
    onFailure();
  });
  return {
    async stop() {
      if (!running) return;
      running = false;
      // Held by the thread again until it has closed its connection.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
