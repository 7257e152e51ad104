import { describe, expect, it } from 'vitest';
import { DIALECTS, manualClock, useLedgerDatabases } from '../../../test/helpers/ledger-dialects.ts';
import { moneyFromUsd } from '../../shared/money.ts';
import { hashGatewayKeySecret } from '../index.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: gateway keys`, () => {
    const dbs = useLedgerDatabases(dialect);

    it('creates a key whose secret is shown once and stored only as a hash', async () => {
      const url = await dbs.url();
      const ledger = await dbs.open({ url });
      const { key, secret } = await ledger.keys.create({
        name: 'billing service',
        defaultModule: 'invoices',
        defaultUser: 'svc-billing',
        rpmLimit: 120,
        allowedModels: ['openai/*', 'google/gemini-2.5-flash-lite'],
        budget: { window: 'month', limit: moneyFromUsd('25') },
      });
      expect(secret).toMatch(/^tg-[A-Za-z0-9_-]{43}$/);
      expect(key).toMatchObject({
        name: 'billing service',
        hash: hashGatewayKeySecret(secret),
        prefix: secret.slice(0, 10),
        defaultModule: 'invoices',
        defaultUser: 'svc-billing',
        rpmLimit: 120,
        allowedModels: ['openai/*', 'google/gemini-2.5-flash-lite'],
        revokedAt: null,
      });
      const budgets = await ledger.budgets.list();
      expect(budgets).toEqual([
        expect.objectContaining({ id: key.budgetId, scope: 'key', scopeValue: key.id, window: 'month' }),
      ]);
      expect((await ledger.keys.getByHash(hashGatewayKeySecret(secret)))?.id).toBe(key.id);
      expect(await ledger.keys.getByHash(hashGatewayKeySecret(`${secret}x`))).toBeUndefined();
      // Nothing in the database holds the secret.
      const { secondConnection } = await import('../../../test/helpers/ledger-dialects.ts');
      const other = await secondConnection(dialect, url);
      const rows = await other.query('select * from gateway_keys');
      await other.close();
      expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(
        secret.slice(3),
      );
    });

    it('refuses default attribution holding control characters, creating nothing', async () => {
      const ledger = await dbs.open();
      await expect(ledger.keys.create({ name: 'k', defaultModule: 'm\u001b[2J' })).rejects.toThrow(
        /defaultModule must not contain control characters/,
      );
      await expect(
        ledger.keys.create({ name: 'k', defaultUser: 'a\nb', budget: { window: 'day', limit: 1n } }),
      ).rejects.toThrow(/defaultUser must not contain control characters/);
      expect(await ledger.keys.list({ includeRevoked: true })).toEqual([]);
      expect(await ledger.budgets.list()).toEqual([]);
    });

    it('lists and revokes keys', async () => {
      const clock = manualClock();
      const ledger = await dbs.open({ clock });
      const first = await ledger.keys.create({ name: 'one' });
      clock.advance(1);
      const second = await ledger.keys.create({ name: 'two' });
      expect(first.secret).not.toBe(second.secret);
      expect((await ledger.keys.list()).map((key) => key.name)).toEqual(['one', 'two']);
      expect(await ledger.keys.revoke(first.key.id)).toMatchObject({
        alreadyRevoked: false,
        key: { id: first.key.id, revokedAt: clock.now() },
      });
      clock.advance(1000);
      // Idempotent: a second revocation says so and keeps the first time.
      expect(await ledger.keys.revoke(first.key.id)).toMatchObject({
        alreadyRevoked: true,
        key: { revokedAt: clock.now() - 1000 },
      });
      expect((await ledger.keys.get(first.key.id))?.revokedAt).toBe(clock.now() - 1000);
      expect(await ledger.keys.revoke('missing')).toBeUndefined();
      expect((await ledger.keys.list()).map((key) => key.name)).toEqual(['two']);
      expect((await ledger.keys.list({ includeRevoked: true })).map((key) => key.name)).toEqual([
        'one',
        'two',
      ]);
      expect((await ledger.keys.getByHash(first.key.hash))?.revokedAt).not.toBeNull();
      await expect(ledger.keys.create({ name: '' })).rejects.toThrow(/name/);
      await expect(ledger.keys.create({ name: 'x', rpmLimit: 0 })).rejects.toThrow(/rpmLimit/);
    });
  });
}
