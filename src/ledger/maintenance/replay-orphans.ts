import { rm } from 'node:fs/promises';
import type { StoreBackend } from '../backend/store-backend.ts';
import type { LedgerLogger } from '../ledger-types.ts';
import { listSpoolFiles, readSpoolFile, replayOrder } from '../write/spool.ts';
import type { WriteOp } from '../write/write-ops.ts';

const CHUNK = 500;

/**
 * Replays spool and journal files left in `dirs` by instances that are no longer alive (an
 * instance's journal first), then deletes them. Ops are idempotent, so two processes replaying
 * the same orphan at once, or a crash mid-replay, never count anything twice. An op the database
 * refuses as bad data is logged and skipped.
 */
export async function replayOrphanSpools(
  dirs: readonly string[],
  liveInstanceIds: ReadonlySet<string>,
  apply: (ops: readonly WriteOp[]) => Promise<boolean[]>,
  backend: StoreBackend,
  logger: LedgerLogger,
): Promise<number> {
  let replayed = 0;
  // An instance whose journal could not be replayed keeps its spool too: its ops come after.
  const postponed = new Set<string>();
  const files = (await Promise.all(dirs.map((dir) => listSpoolFiles(dir)))).flat();
  files.sort(replayOrder);
  for (const file of files) {
    if (liveInstanceIds.has(file.instanceId) || postponed.has(file.instanceId)) continue;
    const ops = await readSpoolFile(file.path);
    try {
      for (let start = 0; start < ops.length; start += CHUNK) {
        const chunk = ops.slice(start, start + CHUNK);
        try {
          await apply(chunk);
        } catch (error) {
          if (backend.isUnavailableError(error)) throw error;
          for (const op of chunk) {
            await apply([op]).catch((refused: unknown) => {
              if (backend.isUnavailableError(refused)) throw refused;
              logger.error(
                { err: String(refused), op: op.kind, file: file.path },
                'ledger: spooled op refused',
              );
            });
          }
        }
      }
    } catch (error) {
      logger.warn({ err: String(error), file: file.path }, 'ledger: spool replay postponed');
      postponed.add(file.instanceId);
      continue;
    }
    await rm(file.path, { force: true });
    replayed += ops.length;
    logger.info({ ops: ops.length, file: file.path }, 'ledger: orphan spool replayed');
  }
  return replayed;
}
