import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { switchableDiskFailure, useLedgerDatabases } from '../../test/helpers/ledger-dialects.ts';
import { createTestDatabase, type PostgresServer, startPostgres } from '../../test/helpers/postgres.ts';
import type { Ledger } from './index.ts';
import { openLedger } from './index.ts';

const OK = { status: 'ok', cost: 1_000n, costSource: 'usage' } as const;

async function totals(ledger: Ledger) {
  const row = (await ledger.reports.spend()).rows[0];
  return { requests: row?.requests ?? 0, spend: row?.spend ?? 0n };
}

describe('sqlite: spool while the database fails', () => {
  const dbs = useLedgerDatabases('sqlite');

  it('spools writes durably, answers callers, and replays them exactly once', async () => {
    const url = await dbs.url();
    const spoolDir = dbs.folder();
    const disk = switchableDiskFailure();
    const ledger = await dbs.open({ url, spoolDir, spoolRetryMs: 60_000, faults: disk.faults });
    const first = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    disk.down = true;
    expect(await ledger.complete(first.id, OK)).toMatchObject({ spooled: true, applied: false });
    const second = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    expect(second.spooled).toBe(true);
    await ledger.complete(second.id, { ...OK, cost: 2_000n });
    expect(ledger.health()).toMatchObject({ ready: false, spooling: true, spooledOps: 3 });
    expect(ledger.health().lastError).toMatch(/disk I\/O/);
    const spoolFile = join(spoolDir, `${ledger.instanceId}.spool.jsonl`);
    expect(readFileSync(spoolFile, 'utf8').trim().split('\n')).toHaveLength(3);
    const copy = join(spoolDir, 'copy');
    copyFileSync(spoolFile, copy);
    expect((await ledger.getRequest(first.id))?.status).toBe('pending');
    expect(await ledger.getRequest(second.id)).toBeUndefined();

    // Still down: a retry keeps everything in the spool.
    expect(await ledger.retrySpool()).toBe(false);
    disk.down = false;
    expect(await ledger.retrySpool()).toBe(true);
    expect(ledger.health()).toMatchObject({ ready: true, spooling: false, spooledOps: 0 });
    expect(existsSync(spoolFile)).toBe(false);
    expect((await ledger.getRequest(first.id))?.status).toBe('ok');
    expect((await ledger.getRequest(second.id))?.cost).toBe(2_000n);
    expect(await totals(ledger)).toEqual({ requests: 2, spend: 3_000n });
    expect(ledger.writerStats().replayedOps).toBe(3);

    // A crash between commit and truncation leaves the spool behind: replaying it again at the next
    // open (as the file of a dead instance) changes nothing.
    copyFileSync(copy, join(spoolDir, 'crashed-instance.spool.jsonl'));
    await ledger.close();
    const reopened = await dbs.open({ url, spoolDir });
    expect(existsSync(join(spoolDir, 'crashed-instance.spool.jsonl'))).toBe(false);
    expect(await totals(reopened)).toEqual({ requests: 2, spend: 3_000n });
  });

  it('fails callers plainly when there is no spool', async () => {
    const disk = switchableDiskFailure();
    const ledger = await dbs.open({ spoolDir: null, faults: disk.faults });
    disk.down = true;
    await expect(ledger.begin({ module: 'm', modelRequested: 'a/b' })).rejects.toMatchObject({
      code: 'ledger_unavailable',
    });
    expect(ledger.health().ready).toBe(false);
  });
});

describe('postgres: spool while the server is down', () => {
  let server: PostgresServer | undefined;
  const spoolDir = mkdtempSync(join(tmpdir(), 'tollgate-spool-'));
  afterAll(async () => {
    await server?.remove();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('keeps answering from the spool while PostgreSQL is stopped, and replays once it is back', async () => {
    server = await startPostgres();
    const { url } = await createTestDatabase(server.url);
    const ledger = await openLedger({
      url,
      spoolDir,
      heartbeatMs: 50,
      spoolRetryMs: 100,
      postgres: { poolSize: 2, connectTimeoutMs: 1000 },
    });
    try {
      const first = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      await server.stop('fast');
      // The heartbeat notices before any write does: readiness drops.
      await vi.waitFor(() => expect(ledger.health().ready).toBe(false), { timeout: 10_000, interval: 50 });
      expect((await ledger.complete(first.id, OK)).spooled).toBe(true);
      const second = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      expect(second.spooled).toBe(true);
      expect((await ledger.complete(second.id, { ...OK, cost: 2_000n })).spooled).toBe(true);
      expect(ledger.health()).toMatchObject({ ready: false, spooling: true, spooledOps: 3 });
      await server.start();
      await vi.waitFor(() => expect(ledger.health().ready).toBe(true), { timeout: 15_000, interval: 100 });
      expect((await ledger.getRequest(first.id))?.status).toBe('ok');
      expect((await ledger.getRequest(second.id))?.cost).toBe(2_000n);
      expect(await totals(ledger)).toEqual({ requests: 2, spend: 3_000n });
      // New writes go straight to the database again.
      const third = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      expect(third.spooled).toBe(false);
    } finally {
      await ledger.close();
    }
  }, 60_000);
});
