import type { Kysely } from 'kysely';
import { toNumberOr } from '../db-values.ts';
import type { Database } from '../schema/database.ts';

/**
 * Ledger instances (processes) and their heartbeats. An instance is dead when its heartbeat is
 * older than `staleAfterMs`, or, on this host, when its pid is gone, or is our own pid but it
 * started before this process did (a container restarted as pid 1 again). Pending rows of dead instances become `interrupted`.
 */
export interface InstanceIdentity {
  id: string;
  hostname: string;
  pid: number;
}

export async function registerInstance(
  db: Kysely<Database>,
  self: InstanceIdentity,
  now: number,
): Promise<void> {
  await db
    .insertInto('ledger_instances')
    .values({ id: self.id, hostname: self.hostname, pid: self.pid, started_at: now, heartbeat_at: now })
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ heartbeat_at: now }))
    .execute();
}

export async function removeInstance(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('ledger_instances').where('id', '=', id).execute();
}

export interface LivenessCheck {
  self: InstanceIdentity;
  now: number;
  staleAfterMs: number;
  isProcessAlive(pid: number): boolean;
  /** When this process started (ledger clock): an instance with our pid that started earlier was a previous incarnation. */
  processStartedAt: number;
}

export interface InstanceCensus {
  /** Registered and considered alive (always including `self`). */
  live: Set<string>;
  /** Registered but dead: their pending rows are interrupted and their registrations removed. */
  dead: Set<string>;
}

/**
 * Who is alive. Rows of instances not registered at all are handled in SQL (NOT EXISTS), within
 * the sweep's own statement, so an instance that registers while we look is never taken for dead.
 */
export async function instanceCensus(db: Kysely<Database>, check: LivenessCheck): Promise<InstanceCensus> {
  const rows = await db
    .selectFrom('ledger_instances')
    .select(['id', 'hostname', 'pid', 'started_at', 'heartbeat_at'])
    .execute();
  const live = new Set<string>([check.self.id]);
  const dead = new Set<string>();
  for (const row of rows) {
    if (row.id === check.self.id) continue;
    const fresh = toNumberOr(row.heartbeat_at, 0) >= check.now - check.staleAfterMs;
    const pid = toNumberOr(row.pid, 0);
    const sameHost = row.hostname === check.self.hostname;
    const earlierIncarnation =
      pid === check.self.pid && toNumberOr(row.started_at, 0) < check.processStartedAt;
    const otherProcess = pid !== check.self.pid;
    const goneHere = sameHost && (earlierIncarnation || (otherProcess && !check.isProcessAlive(pid)));
    // A writer still running here is alive whatever its heartbeat says: through a database
    // outage it cannot beat, and its spool, which it will replay itself, must not be taken away.
    const runningHere = sameHost && !earlierIncarnation && otherProcess && check.isProcessAlive(pid);
    if ((fresh && !goneHere) || runningHere) live.add(row.id);
    else dead.add(row.id);
  }
  return { live, dead };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
