import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { sql } from 'kysely';
import { type Clock, systemClock } from '../shared/clock.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createSqliteStore } from './backend/sqlite-store.ts';
import type { StoreBackend } from './backend/store-backend.ts';
import type { Ledger } from './ledger.ts';
import { LedgerError } from './ledger-errors.ts';
import { LedgerImpl, type LedgerSettings } from './ledger-impl.ts';
import { type LedgerLogger, silentLogger } from './ledger-types.ts';
import { type LedgerLocation, parseLedgerUrl, redactLedgerUrl } from './ledger-url.ts';
import { LEDGER_MIGRATION_TABLE } from './migrations/migration-provider.ts';
import type { WriteOp } from './write/write-ops.ts';

export interface OpenLedgerOptions {
  /** `TOLLGATE_DB`-style location: unset → ./tollgate.db; a path, `sqlite:path`, `:memory:`; or `postgres://…`. */
  url?: string | null;
  /**
   * Create the ledger when there is none (default true): SQLite, the file and its folder;
   * PostgreSQL, the tables. false: no ledger there is a `ledger_missing` error instead, for
   * callers that only read: a mistyped path must not answer from a new, empty ledger, nor turn
   * another application's database into one.
   */
  create?: boolean;
  clock?: Clock;
  logger?: LedgerLogger;
  /**
   * Folder for the outage spool. Default: `<db file>.spool/` for SQLite files, none for `:memory:`,
   * `./tollgate-spool/` for PostgreSQL. null: no spool (writes fail while the database is down).
   */
  spoolDir?: string | null;
  /** Defaults to a fresh UUIDv7. */
  instanceId?: string;
  hostname?: string;
  pid?: number;
  isProcessAlive?: (pid: number) => boolean;
  /** Group commit: most ops per transaction (500) and gathering window (0: next event-loop turn). */
  maxBatch?: number;
  batchWindowMs?: number;
  /**
   * Journaled writes (write/journal.ts): on a SQLite file with `synchronous: 'normal'` and no
   * gathering window, and while at most four calls are in flight (begun, not completed), a write
   * is acknowledged once appended to a journal in `<file>.journal/` and
   * committed up to `journalDelayMs` (10 ms) later with others; another connection sees it that
   * much later. Default false: every write is committed before it is acknowledged. The gateway
   * (`tollgate serve`) turns it on. Ignored elsewhere.
   */
  journal?: boolean;
  journalDelayMs?: number;
  /** Retry interval while spooling (1000 ms). */
  spoolRetryMs?: number;
  /** Heartbeat and maintenance interval (15 s); 0 disables the timer (tests drive `sweepInterrupted`). */
  heartbeatMs?: number;
  /** An instance silent this long is dead (60 s). */
  staleInstanceMs?: number;
  /** Pending rows older than this are interrupted whoever owns them (6 h). */
  stalePendingMs?: number;
  /** Delay before the first reconciliation of a completed row with a generation id (2 s); null: never. */
  reconcileAfterMs?: number | null;
  /** Budget reservation TTL (10 min). */
  reservationTtlMs?: number;
  sqlite?: { synchronous?: 'full' | 'normal'; busyTimeoutMs?: number };
  postgres?: { poolSize?: number; connectTimeoutMs?: number; partitionsAhead?: number };
  /** Test hook: called before every write transaction; throwing simulates an outage. */
  faults?: { beforeWrite?: (ops: readonly WriteOp[]) => void };
}

function describeLocation(location: LedgerLocation): string {
  return location.dialect === 'sqlite' ? location.path : redactLedgerUrl(location.connectionString);
}

/**
 * A driver's failure to open the database (ECONNREFUSED, ENOTFOUND, "file is not a database",
 * "unable to open database file"…) as a ledger error that says which database it was, so the user
 * learns it is the ledger that failed. The password never appears, even if the driver echoed it.
 */
function openFailure(location: LedgerLocation, error: unknown): unknown {
  if (LedgerError.isInstance(error)) return error;
  let reason = error instanceof Error ? error.message : String(error);
  if (location.dialect === 'postgres') {
    reason = reason.replaceAll(location.connectionString, redactLedgerUrl(location.connectionString));
    const password = passwordOf(location.connectionString);
    if (password) reason = reason.replaceAll(password, '***');
  }
  return new LedgerError('ledger_open', `cannot open ${describeLocation(location)}: ${reason}`, {
    cause: error,
  });
}

function passwordOf(connectionString: string): string {
  try {
    const { password } = new URL(connectionString);
    return password.length >= 3 ? decodeURIComponent(password) : '';
  } catch {
    return '';
  }
}

/**
 * Where a ledger's writes wait while its database is down. A PostgreSQL ledger's spool is a
 * folder of its own per database (host, port and name; never the credentials): whoever opens the
 * ledger replays the spools of dead writers into it, so a spool must never meet another database.
 */
export function defaultSpoolDir(location: LedgerLocation): string | null {
  if (location.dialect === 'postgres') return `./tollgate-spool/${postgresTarget(location.connectionString)}`;
  return location.path === ':memory:' ? null : `${location.path}.spool`;
}

/** `<database>-<hash of host, port and database>`: readable, and one folder per database. */
function postgresTarget(connectionString: string): string {
  let target = connectionString;
  let name = 'postgres';
  try {
    const url = new URL(connectionString);
    name = decodeURIComponent(url.pathname.slice(1)) || url.username || 'postgres';
    const host = url.searchParams.get('host') ?? url.hostname;
    target = `${host}:${url.port || '5432'}/${name}`;
  } catch {
    // Unparseable here: the driver will say what is wrong with it; hash it whole.
  }
  const readable = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${readable}-${createHash('sha256').update(target).digest('hex').slice(0, 12)}`;
}

/**
 * A command that only reads must not turn a database into a ledger: on PostgreSQL, refused
 * unless tollgate's migrations have run there (SQLite's check is the file's existence).
 */
async function requireLedgerSchema(backend: StoreBackend, location: LedgerLocation): Promise<void> {
  const { rows } = await sql<{ ledger: string | null; requests: string | null }>`
    select to_regclass(${LEDGER_MIGRATION_TABLE})::text as ledger, to_regclass('requests')::text as requests
  `.execute(backend.db);
  if (rows[0]?.ledger) return;
  const where = describeLocation(location);
  throw new LedgerError(
    'ledger_missing',
    rows[0]?.requests
      ? `${where} has a "requests" table but no tollgate ledger (another application's database?)`
      : `no ledger in ${where}`,
  );
}

/**
 * Opens the ledger: connects, runs migrations (idempotent; advisory-locked on PostgreSQL),
 * registers this instance, replays spools left by dead instances, turns their stale pending rows
 * into `interrupted`, and starts the heartbeat. Fails if the database is unreachable at open.
 */
export async function openLedger(options: OpenLedgerOptions = {}): Promise<Ledger> {
  const location = parseLedgerUrl(options.url);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  // PostgreSQL's driver is loaded only for a PostgreSQL ledger: a SQLite gateway or a short CLI
  // command need not pay for it (about 50 ms and 9 MB in a bare process).
  const memory = location.dialect === 'sqlite' && (location.path === ':memory:' || location.path === '');
  if (location.dialect === 'sqlite' && !memory && options.create === false && !existsSync(location.path)) {
    throw new LedgerError('ledger_missing', `no ledger at ${location.path}`);
  }
  let backend: StoreBackend;
  try {
    backend =
      location.dialect === 'sqlite'
        ? createSqliteStore({ path: location.path, logger, create: options.create, ...options.sqlite })
        : (await import('./backend/postgres-store.ts')).createPostgresStore({
            connectionString: location.connectionString,
            logger,
            now: () => clock.now(),
            ...options.postgres,
          });
  } catch (error) {
    throw openFailure(location, error);
  }
  const spoolDir = options.spoolDir === undefined ? defaultSpoolDir(location) : options.spoolDir;
  const batchWindowMs = options.batchWindowMs ?? 0;
  const settings: LedgerSettings = {
    clock,
    logger,
    instance: {
      id: options.instanceId ?? uuidv7(clock.now()),
      hostname: options.hostname ?? osHostname(),
      pid: options.pid ?? process.pid,
    },
    isProcessAlive: options.isProcessAlive,
    processStartedAt: clock.now() - Math.ceil(process.uptime() * 1000),
    spoolDir,
    maxBatch: options.maxBatch ?? 500,
    batchWindowMs,
    journalDelayMs:
      options.journal === true && backend.journaling && batchWindowMs === 0
        ? (options.journalDelayMs ?? 10)
        : null,
    spoolRetryMs: options.spoolRetryMs ?? 1000,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    staleInstanceMs: options.staleInstanceMs ?? 60_000,
    stalePendingMs: options.stalePendingMs ?? 6 * 3_600_000,
    reconcileAfterMs: options.reconcileAfterMs === undefined ? 2000 : options.reconcileAfterMs,
    reservationTtlMs: options.reservationTtlMs ?? 600_000,
    faults: options.faults,
  };
  try {
    if (options.create === false && location.dialect === 'postgres')
      await requireLedgerSchema(backend, location);
    await backend.migrate();
    const ledger = new LedgerImpl(backend, settings);
    await ledger.start();
    logger.info(
      {
        dialect: backend.dialect,
        location: describeLocation(location),
        instanceId: settings.instance.id,
      },
      'ledger: open',
    );
    return ledger;
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw openFailure(location, error);
  }
}
