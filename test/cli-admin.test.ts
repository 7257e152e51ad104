import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { type CliWorld, json, MODEL, startCliWorld } from './cli-helpers.ts';
import { startTestGateway } from './helpers/gateway.ts';

let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world.close();
});

interface KeyJson {
  id: string;
  name: string;
  prefix: string;
  defaultModule: string | null;
  rpmLimit: number | null;
  allowedModels: string[] | null;
  revokedAt: string | null;
  secret?: string;
}

describe('tollgate keys (gateway keys in the shared ledger)', () => {
  it('creates a key whose secret works against a gateway on the same ledger, lists it, revokes it', async () => {
    const created = await world.run([
      'keys',
      'create',
      '--name',
      'reporting-app',
      '--module',
      'reports',
      '--rpm',
      '60',
      '--models',
      'openai/*',
      '--budget',
      '2',
      '--format',
      'json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const key = json<KeyJson>(created);
    expect(key).toMatchObject({
      name: 'reporting-app',
      defaultModule: 'reports',
      rpmLimit: 60,
      allowedModels: ['openai/*'],
    });
    expect(key.secret).toMatch(/^tg-/);
    expect(key.secret?.startsWith(key.prefix)).toBe(true);
    expect(created.stdout).not.toMatch(/"hash"/);

    const text = await world.run(['keys', 'create', '--name', 'second']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toMatch(/^tg-\S+$/); // only the secret on stdout
    expect(text.stderr).toMatch(/shown this once/);

    const listed = json<KeyJson[]>(await world.run(['keys', 'list', '--format', 'json']));
    expect(listed.map((item) => item.name)).toEqual(['reporting-app', 'second']);
    expect(JSON.stringify(listed)).not.toContain(key.secret);

    const budgets = json<{ scope: string; value: string; limitUsd: string }[]>(
      await world.run(['budgets', 'list', '--format', 'json']),
    );
    expect(budgets).toContainEqual(expect.objectContaining({ scope: 'key', value: key.id, limitUsd: '2' }));

    const gateway = await startTestGateway({ db: world.db });
    try {
      const call = (model: string) =>
        fetch(`${gateway.gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
        });
      const ok = await call(MODEL);
      expect(ok.status).toBe(200);
      await ok.text();
      expect((await call('google/gemini-2.5-flash')).status).toBe(403); // not among --models

      const revoked = await world.run(['keys', 'revoke', key.id]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect((await call(MODEL)).status).toBe(401);
    } finally {
      await gateway.close();
    }
    const ledger = await openLedger({ url: world.db, heartbeatMs: 0 });
    try {
      const rows = await ledger.reports.recent({ filters: { key: key.id } });
      expect(rows.filter((row) => row.status === 'ok')).toHaveLength(1);
      expect(rows[0]).toMatchObject({ module: 'reports', keyId: key.id });
    } finally {
      await ledger.close();
    }

    const active = json<KeyJson[]>(await world.run(['keys', 'list', '--format', 'json']));
    expect(active.map((item) => item.name)).toEqual(['second']);
    const all = json<KeyJson[]>(await world.run(['keys', 'list', '--all', '--format', 'json']));
    expect(all.find((item) => item.id === key.id)?.revokedAt).toEqual(expect.any(String));

    const again = await world.run(['keys', 'revoke', key.id]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^Gateway key ${key.id} was already revoked \\(`));

    const unknown = await world.run(['keys', 'revoke', '01900000-0000-7000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no gateway key with id/);
    const nameless = await world.run(['keys', 'create']);
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toMatch(/--name is required/);
  });
});

describe('tollgate openrouter-keys (OpenRouter key management through the client)', () => {
  it('creates, lists, updates and deletes a key', async () => {
    const created = await world.run([
      'openrouter-keys',
      'create',
      '--name',
      'batch-jobs',
      '--limit',
      '5',
      '--format',
      'json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { key, data } = json<{ key: string; data: { hash: string; name: string; limit: number } }>(created);
    expect(key).toMatch(/^sk-or-v1-/);
    expect(data).toMatchObject({ name: 'batch-jobs', limit: 5 });

    const listed = json<{ hash: string; name: string }[]>(
      await world.run(['openrouter-keys', 'list', '--format', 'json']),
    );
    expect(listed.map((item) => item.hash)).toContain(data.hash);

    const updated = await world.run([
      'openrouter-keys',
      'update',
      data.hash,
      '--disable',
      '--limit',
      '10',
      '--name',
      'renamed',
      '--format',
      'json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(json(updated)).toMatchObject({ hash: data.hash, name: 'renamed', disabled: true, limit: 10 });
    const table = await world.run(['openrouter-keys', 'list', '--include-disabled']);
    expect(table.stdout).toMatch(new RegExp(`${data.hash} +renamed +yes`));

    const deleted = await world.run(['openrouter-keys', 'delete', data.hash]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const after = json<{ hash: string }[]>(
      await world.run(['openrouter-keys', 'list', '--include-disabled', '--format', 'json']),
    );
    expect(after.map((item) => item.hash)).not.toContain(data.hash);

    const again = await world.run(['openrouter-keys', 'delete', data.hash]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/^tollgate openrouter-keys delete: OpenRouter: not found \(404/);
    const nothing = await world.run(['openrouter-keys', 'update', data.hash]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to change/);
  });
});

describe('tollgate doctor', () => {
  interface DoctorJson {
    ok: boolean;
    checks: { name: string; ok: boolean; detail: string; fix?: string }[];
  }

  it('passes every check against a working setup', async () => {
    const result = await world.run(['doctor', '--format', 'json']);
    expect(result.code, result.stdout).toBe(0);
    const report = json<DoctorJson>(result);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => [check.name, check.ok])).toEqual([
      ['configuration', true],
      ['database', true],
      ['key', true],
      ['upstream', true],
    ]);
    const table = await world.run(['doctor']);
    expect(table.stdout).toMatch(/All checks passed/);
  });

  it('says what to fix for each failure and exits 1', async () => {
    const notADirectory = join(world.dir, 'not-a-directory');
    writeFileSync(notADirectory, 'a file where the database folder should be');
    const [down, noKey, badDb, badConfig] = await Promise.all([
      world.run(['doctor', '--format', 'json'], {
        env: { OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1' },
      }),
      world.run(['doctor', '--format', 'json'], { env: { OPENROUTER_API_KEY: '' } }),
      world.run(['doctor', '--format', 'json', '--db', join(notADirectory, 'x.db')]),
      world.run(['doctor', '--format', 'json'], { env: { TOLLGATE_PORT: 'eighty' } }),
    ]);
    const checks = (result: typeof down) => {
      expect(result.code).toBe(1);
      return Object.fromEntries(json<DoctorJson>(result).checks.map((check) => [check.name, check]));
    };
    const unreachable = checks(down);
    expect(unreachable.upstream).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/OPENROUTER_BASE_URL/),
    });
    expect(unreachable.key?.ok).toBe(false);
    expect(unreachable.database?.ok).toBe(true);
    expect(checks(noKey).key).toMatchObject({
      ok: false,
      detail: 'OPENROUTER_API_KEY is not set',
      fix: expect.any(String),
    });
    expect(checks(badDb).database).toMatchObject({ ok: false, fix: expect.stringMatching(/TOLLGATE_DB/) });
    const config = checks(badConfig);
    expect(config.configuration).toMatchObject({ ok: false, detail: expect.stringMatching(/TOLLGATE_PORT/) });
    expect(config.database?.detail).toMatch(/not checked/);

    const table = await world.run(['doctor'], { env: { OPENROUTER_API_KEY: '' } });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/FAIL +key +OPENROUTER_API_KEY is not set\n +fix: /);
  });
});

describe('the command line itself', () => {
  it('unknown commands and missing arguments exit 2; --help exits 0 and lists every command', async () => {
    const [unknown, missing, help] = await Promise.all([
      world.run(['frobnicate']),
      world.run(['generation']),
      world.run(['--help']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'id'/);
    expect(help.code).toBe(0);
    for (const command of [
      'chat',
      'batch',
      'models',
      'credits',
      'generation',
      'spend',
      'requests',
      'drift',
      'budgets',
      'keys',
      'openrouter-keys',
      'reconcile',
      'doctor',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });
});
