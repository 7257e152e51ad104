import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerRow, openLedger } from '../src/ledger/index.ts';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';
import { postgresServerUrl } from './helpers/ledger-dialects.ts';
import { createTestDatabase } from './helpers/postgres.ts';

/**
 * The CLI must never spend or corrupt ledger state because of a bad environment: an outage or a
 * rejected key during `reconcile`, a mistyped --db, a database that cannot be opened.
 */

let world: CliWorld;
let strictSim: RunningSimulator;

beforeAll(async () => {
  world = await startCliWorld();
  // Knows only the keys it issued: the world's key gets a 401 here.
  strictSim = await startSimulator({ strictKeys: true });
});

afterAll(async () => {
  await strictSim.close();
  await world.close();
});

async function ledgerRows(db: string): Promise<LedgerRow[]> {
  const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null });
  try {
    return await ledger.reports.recent({ limit: 1000 });
  } finally {
    await ledger.close();
  }
}

describe('reconcile when OpenRouter cannot answer', () => {
  it('exits 1 naming the cause, stops early, and leaves every row its retries', async () => {
    for (const prompt of ['one', 'two', 'three']) {
      const chat = await world.run(['chat', prompt, '-m', MODEL]);
      expect(chat.code, chat.stderr).toBe(0);
    }
    // Completed rows become due for reconciliation 2 s after they complete.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const rejected = await world.run(['reconcile'], { env: { OPENROUTER_BASE_URL: strictSim.url } });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^tollgate reconcile: OpenRouter rejected the API key \(401/);
    expect(rejected.stderr).toMatch(/Stopped after 0 of 3 rows/);

    // Unreachable, again and again (the reviewer's cron every few seconds): never a miss.
    for (let run = 0; run < 3; run++) {
      const unreachable = await world.run(['reconcile', '--format', 'json'], {
        env: { OPENROUTER_BASE_URL: 'http://127.0.0.1:1/api/v1' },
      });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/cannot reach OpenRouter at http:\/\/127\.0\.0\.1:1\/api\/v1/);
      expect(json(unreachable)).toMatchObject({ claimed: 3, failed: 0, gaveUp: 0, released: 3 });
    }
    for (const row of await ledgerRows(world.db)) {
      expect(row).toMatchObject({ reconcileAttempts: 0, reconciledAt: null });
      expect(row.nextReconcileAt).not.toBeNull();
    }

    // OpenRouter is back: the same rows are reconciled at once.
    const back = await world.run(['reconcile', '--format', 'json']);
    expect(back.code, back.stderr).toBe(0);
    expect(json(back)).toMatchObject({ claimed: 3, reconciled: 3, failed: 0 });
  });
});

describe('a --db that names no ledger', () => {
  it('is refused by every command that reads or changes existing rows, and nothing is created', async () => {
    const missing = join(world.dir, 'no-such-dir', 'x.db');
    const commands = [
      ['spend'],
      ['requests'],
      ['drift'],
      ['budgets', 'list'],
      ['budgets', 'rm', '--scope', 'global'],
      ['keys', 'list'],
      ['keys', 'revoke', '01900000-0000-7000-8000-000000000000'],
      ['reconcile'],
    ];
    const results = await Promise.all(commands.map((args) => world.run([...args, '--db', missing])));
    results.forEach((result, index) => {
      const command = commands[index]?.[0] ?? '';
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^tollgate ${command}( [a-z]+)?: no ledger at `));
      expect(result.stderr).toContain(
        `: no ledger at ${missing}: check --db / TOLLGATE_DB; \`tollgate serve\` or \`chat\` creates one.\n`,
      );
    });
    expect(existsSync(join(world.dir, 'no-such-dir'))).toBe(false);
  });

  it("on PostgreSQL too: a database without a ledger (or another application's) is refused and left as it was", async () => {
    const empty = await createTestDatabase(await postgresServerUrl());
    const other = await createTestDatabase(await postgresServerUrl());
    const client = async (url: string) => {
      const connection = new pg.Client({ connectionString: url });
      await connection.connect();
      return connection;
    };
    const tables = async (url: string) => {
      const connection = await client(url);
      try {
        const { rows } = await connection.query(
          "select table_name from information_schema.tables where table_schema = 'public' order by 1",
        );
        return rows.map((row: { table_name: string }) => row.table_name);
      } finally {
        await connection.end();
      }
    };
    try {
      const setup = await client(other.url);
      await setup.query('create table requests (id int primary key, body text)');
      await setup.end();
      for (const args of [['spend'], ['requests'], ['budgets', 'list']]) {
        const refused = await world.run([...args, '--db', empty.url]);
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr).toContain(': no ledger in postgres://');
        const foreign = await world.run([...args, '--db', other.url]);
        expect(foreign.code, foreign.stderr).toBe(2);
        expect(foreign.stderr).toContain('has a "requests" table but no tollgate ledger');
      }
      expect(await tables(empty.url)).toEqual([]);
      expect(await tables(other.url)).toEqual(['requests']);
      // Creating what it asks for, a command that writes makes the ledger.
      const created = await world.run(['keys', 'create', '--name', 'k', '--db', empty.url]);
      expect(created.code, created.stderr).toBe(0);
      expect(await tables(empty.url)).toContain('requests');
    } finally {
      await empty.drop();
      await other.drop();
    }
  });

  it('keys create checks its flags before creating a ledger, then creates one', async () => {
    const typo = join(world.dir, 'typo.db');
    const rejected = await world.run(['keys', 'create', '--name', 'k', '--rpm', 'x', '--db', typo]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/--rpm/);
    expect(existsSync(typo)).toBe(false);
    const created = await world.run([
      'keys',
      'create',
      '--name',
      'k',
      '--db',
      join(world.dir, 'new', 'k.db'),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(existsSync(join(world.dir, 'new', 'k.db'))).toBe(true);
  });

  it('budgets set, like keys create, may start a ledger (a budget is set up before the first call)', async () => {
    const fresh = join(world.dir, 'budgets', 'b.db');
    const set = await world.run(['budgets', 'set', '--scope', 'global', '--limit', '5', '--db', fresh]);
    expect(set.code, set.stderr).toBe(0);
    expect(existsSync(fresh)).toBe(true);
  });

  it('reads a relative file: URL relative to the working directory', async () => {
    const created = await world.run(['keys', 'create', '--name', 'rel', '--db', 'file:rel-ledger.db']);
    expect(created.code, created.stderr).toBe(0);
    expect(existsSync(join(world.dir, 'rel-ledger.db'))).toBe(true);
    expect(existsSync('/rel-ledger.db')).toBe(false);
    const listed = await world.run(['keys', 'list', '--format', 'json', '--db', 'file:rel-ledger.db']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(json<{ name: string }[]>(listed).map((key) => key.name)).toEqual(['rel']);
  });
});

describe('a database that cannot be opened', () => {
  const fix = /Check that --db \/ TOLLGATE_DB points to a database you can open\.\n$/;

  it('says it is the ledger, which one, and how to fix it, without the password', async () => {
    const notADatabase = join(world.dir, 'notes.txt');
    writeFileSync(notADatabase, 'these are notes, not a SQLite database\n'.repeat(50));
    const [refused, unknownHost, notDb, unwritable] = await Promise.all([
      world.run(['spend', '--db', 'postgres://u:s3cretpw@127.0.0.1:1/x']),
      world.run(['keys', 'list', '--db', 'postgres://u:s3cretpw@nohost.invalid/x']),
      world.run(['spend', '--db', notADatabase]),
      world.run(['keys', 'create', '--name', 'k', '--db', '/proc/x.db']),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^tollgate spend: ledger: cannot open postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
    );
    expect(unknownHost.code).toBe(1);
    expect(unknownHost.stderr).toMatch(
      /^tollgate keys list: ledger: cannot open postgres:\/\/u:\*\*\*@nohost\.invalid\/x: /,
    );
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toMatch(
      new RegExp(`^tollgate spend: ledger: cannot open ${notADatabase}: file is not a database`),
    );
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(
      /^tollgate keys create: ledger: cannot open \/proc\/x\.db: unable to open database file/,
    );
    for (const result of [refused, unknownHost, notDb, unwritable]) {
      expect(result.stderr).toMatch(fix);
      expect(result.stderr).not.toContain('s3cretpw');
    }
  });

  it('a file: URL on another host is a usage error naming the value', async () => {
    const result = await world.run(['spend', '--db', 'file://remote/x.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^tollgate spend: Cannot use "file:\/\/remote\/x\.db" as a SQLite file: .*\(check --db or TOLLGATE_DB\)\n$/,
    );
  });
});
