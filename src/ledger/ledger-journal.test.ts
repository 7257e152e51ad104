import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { switchableDiskFailure, useLedgerDatabases } from '../../test/helpers/ledger-dialects.ts';
import type { Ledger } from './index.ts';

const OK = { status: 'ok', cost: 1_000n, costSource: 'usage' } as const;
const JOURNAL_DELAY_MS = 60_000;

async function totals(ledger: Ledger) {
  const row = (await ledger.reports.spend()).rows[0];
  return { requests: row?.requests ?? 0, spend: row?.spend ?? 0n };
}

/** Row statuses by id, as another connection (another process) sees them: no read barrier. */
function statusesSeenElsewhere(path: string): Record<string, string> {
  const other = new BetterSqlite3(path, { readonly: true });
  try {
    const rows = other.prepare('select id, status from requests').all() as Array<{
      id: string;
      status: string;
    }>;
    return Object.fromEntries(rows.map((row) => [row.id, row.status]));
  } finally {
    other.close();
  }
}

describe('sqlite: journaled writes', () => {
  const dbs = useLedgerDatabases('sqlite');

  it('acknowledges from the journal, commits later, and reads its own writes at once', async () => {
    const url = await dbs.url();
    // A delay far longer than the test: only the read barrier or a flush can commit.
    const ledger = await dbs.open({ url, journal: true, journalDelayMs: JOURNAL_DELAY_MS });
    const begun = await ledger.begin({ module: 'm', userId: 'u', modelRequested: 'a/b' });
    await ledger.attachGenerationId(begun.id, 'gen-1-abc');
    expect(await ledger.complete(begun.id, OK)).toMatchObject({ applied: true, spooled: false });
    expect(ledger.writerStats().journaledOps).toBe(3);
    const journalFile = join(`${url}.journal`, `${ledger.instanceId}.journal.jsonl`);
    expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(3);
    // Not committed yet: another process sees nothing.
    expect(statusesSeenElsewhere(url)).toEqual({});

    // This process reads through the barrier, which commits first.
    expect(await ledger.getRequest(begun.id)).toMatchObject({ status: 'ok', generationId: 'gen-1-abc' });
    expect(statusesSeenElsewhere(url)).toEqual({ [begun.id]: 'ok' });
    expect(await totals(ledger)).toEqual({ requests: 1, spend: 1_000n });

    // A write whose caller waits for its commit takes the journaled ones along, in order.
    const second = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    const third = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    await ledger.complete(second.id, { ...OK, cost: 2_000n });
    expect(await ledger.complete('not-begun-here', OK)).toMatchObject({ applied: false });
    expect(statusesSeenElsewhere(url)).toEqual({
      [begun.id]: 'ok',
      [second.id]: 'ok',
      [third.id]: 'pending',
    });
    await ledger.complete(third.id, { ...OK, cost: 4_000n });
    await ledger.close();
    expect(existsSync(journalFile)).toBe(false);
    const reopened = await dbs.open({ url });
    expect(await totals(reopened)).toEqual({ requests: 3, spend: 7_000n });
  });

  it('journals only while few calls are in flight: with more, group commit shares the commits', async () => {
    const ledger = await dbs.open({ journal: true, journalDelayMs: JOURNAL_DELAY_MS });
    const rows = [];
    for (let index = 0; index < 6; index++)
      rows.push(await ledger.begin({ module: 'm', modelRequested: 'a/b' }));
    // Five begins found at most four calls in flight; the sixth found five and waited for its commit.
    expect(ledger.writerStats()).toMatchObject({ journaledOps: 5, committedOps: 6 });
    for (const row of rows) await ledger.complete(row.id, OK);
    // The first completion left five in flight; each later one, four or fewer.
    expect(ledger.writerStats().journaledOps).toBe(10);
    expect(await totals(ledger)).toEqual({ requests: 6, spend: 6_000n });
  });

  it('refuses a reused id whether its first row is committed or still journaled', async () => {
    const ledger = await dbs.open({ journal: true, journalDelayMs: JOURNAL_DELAY_MS });
    const first = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    await expect(ledger.begin({ id: first.id, module: 'm', modelRequested: 'a/b' })).rejects.toThrow(
      /already exists/,
    );
    await ledger.flush();
    await expect(ledger.begin({ id: first.id, module: 'm', modelRequested: 'a/b' })).rejects.toThrow(
      /already exists/,
    );
  });

  it('begins an id it minted without looking it up; one it minted long ago is checked again', async () => {
    const url = await dbs.url();
    const ledger = await dbs.open({ url, journal: true, journalDelayMs: JOURNAL_DELAY_MS });
    // Minted 4,096 ids ago: forgotten, so its begin checks it like a given id.
    const forgotten = ledger.newRequestId();
    for (let index = 0; index < 4095; index++) ledger.newRequestId();
    const minted = ledger.newRequestId();
    // Another writer takes both ids first (it cannot happen to a minted id; here it shows who looks).
    const other = new BetterSqlite3(url);
    const plant = other.prepare(
      `insert into requests (id, created_at, module, model_requested, status) values (?, 0, 'planted', 'a/b', 'pending')`,
    );
    plant.run(minted);
    plant.run(forgotten);
    other.close();

    // No lookup: acknowledged from the journal; its commit then finds the id taken and changes nothing.
    await ledger.begin({ id: minted, module: 'm', modelRequested: 'a/b' });
    expect(ledger.writerStats().journaledOps).toBe(1);
    await expect(ledger.begin({ id: forgotten, module: 'm', modelRequested: 'a/b' })).rejects.toThrow(
      /already exists/,
    );
    expect(ledger.writerStats().journaledOps).toBe(1);
    expect(await ledger.getRequest(minted)).toMatchObject({ module: 'planted' });
    await ledger.close();
  });

  it('sends journaled writes to the spool in an outage and replays them exactly once', async () => {
    const url = await dbs.url();
    const spoolDir = dbs.folder();
    const disk = switchableDiskFailure();
    const ledger = await dbs.open({
      url,
      spoolDir,
      spoolRetryMs: 60_000,
      journal: true,
      journalDelayMs: JOURNAL_DELAY_MS,
      faults: disk.faults,
    });
    const first = await ledger.begin({ module: 'm', modelRequested: 'a/b' });
    await ledger.complete(first.id, OK);
    disk.down = true;
    await ledger.flush();
    expect(ledger.health()).toMatchObject({ spooling: true, spooledOps: 2 });
    disk.down = false;
    expect(await ledger.retrySpool()).toBe(true);
    expect(await totals(ledger)).toEqual({ requests: 1, spend: 1_000n });
  });

  it('keeps what it acknowledged through a SIGKILL before the commit', async () => {
    const url = await dbs.url();
    const spoolDir = dbs.folder();
    const ledgerModule = new URL('./index.ts', import.meta.url).href;
    // A process that begins and completes three rows (the third left pending), and is killed
    // the moment the last acknowledgement arrives: nothing was committed yet.
    const script = `
      const { openLedger } = await import(${JSON.stringify(ledgerModule)});
      const ledger = await openLedger({ url: ${JSON.stringify(url)}, spoolDir: ${JSON.stringify(spoolDir)},
        heartbeatMs: 0, sqlite: { synchronous: 'normal' }, journal: true, journalDelayMs: ${JOURNAL_DELAY_MS} });
      for (const cost of [1000n, 2000n]) {
        const row = await ledger.begin({ module: 'm', userId: 'u', modelRequested: 'a/b' });
        await ledger.complete(row.id, { status: 'ok', cost, costSource: 'usage' });
      }
      await ledger.begin({ module: 'm', modelRequested: 'a/b' });
      process.stdout.write(String(ledger.writerStats().committedOps));
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let committedBeforeKill = '';
    child.stdout.on('data', (chunk: Buffer) => {
      committedBeforeKill += chunk.toString();
    });
    const signal = await new Promise((resolve) => child.on('exit', (_code, how) => resolve(how)));
    expect(signal).toBe('SIGKILL');
    expect(committedBeforeKill).toBe('0');
    expect(statusesSeenElsewhere(url)).toEqual({});
    expect(readdirSync(`${url}.journal`)).toHaveLength(1);

    // The next open replays the dead process's journal, then interrupts its pending row: with no
    // spool folder and no journaling of its own, the journal folder is the database's.
    const reopened = await dbs.open({ url, spoolDir: null, journal: false });
    expect(Object.values(statusesSeenElsewhere(url)).sort()).toEqual(['interrupted', 'ok', 'ok']);
    expect(await totals(reopened)).toMatchObject({ spend: 3_000n });
    expect(readdirSync(`${url}.journal`)).toEqual([]);
  });
});
