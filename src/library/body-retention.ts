import type { Ledger, LedgerLogger } from '../ledger/index.ts';

/** Stored bodies older than the retention are deleted at start and every hour. */
export function scheduleBodyPurge(
  ledger: Ledger,
  retentionDays: number,
  logger: LedgerLogger,
): NodeJS.Timeout {
  const purge = () =>
    ledger
      .purgeBodies(retentionDays * 86_400_000)
      .catch((error: unknown) => logger.warn({ error: String(error) }, 'stored bodies not purged'));
  void purge();
  return setInterval(purge, 3_600_000).unref();
}
