import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from './cli-helpers.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * A call that times out before any answer has no generation id: reconciliation can never find its
 * cost, so its budget reservation stays held at the worst case. An operator sees it and releases it
 * (admin API or CLI); the row keeps its unknown cost.
 */
describe('held budget reservations through the gateway', () => {
  const adminKey = 'admin-holds-5d1e';
  let t: TestGateway;
  let secret = '';
  let keyId = '';

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${t.gateway.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    });
  // gpt-4o-mini at $0.60 per million output tokens: 10,000 tokens reserve about $0.006.
  const call = (fault?: string) =>
    fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        ...(fault ? { 'x-simulator-fault': fault } : {}),
      },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        max_tokens: 10_000,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { generationLagMs: 0, stallMs: 3_000 },
      config: { openrouter: { maxRetries: 0, timeoutMs: 300 }, gateway: { adminKey } },
    });
    const created = await admin('/admin/keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'holds', budget: { window: 'total', limitUsd: '0.009' } }),
    });
    const key = (await created.json()) as { secret: string; data: { id: string } };
    secret = key.secret;
    keyId = key.data.id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('a timed-out call holds its worst case until released; then the budget admits calls again', async () => {
    const timedOut = await call('stall;ms=3000');
    expect(timedOut.status).toBe(504);
    await timedOut.text();
    const requestId = timedOut.headers.get('x-tollgate-request-id') ?? '';
    const row = await eventually(async () => {
      const found = await t.gateway.ledger.getRequest(requestId);
      return found && found.status !== 'pending' ? found : undefined;
    });
    expect(row).toMatchObject({ status: 'error', cost: null, generationId: null });

    // The hold blocks the next call: 0.006 held + 0.006 asked > 0.009.
    const refused = await call();
    expect(refused.status).toBe(402);
    await refused.text();

    const listed = (await (await admin('/admin/budgets/holds')).json()) as {
      data: Array<{ requestId: string; keyId: string; reconcilable: boolean; amountUsd: string }>;
    };
    expect(listed.data).toEqual([
      expect.objectContaining({ requestId, keyId, reconcilable: false, amountUsd: expect.any(String) }),
    ]);
    expect(Number(listed.data[0]?.amountUsd)).toBeGreaterThan(0.005);

    const badDate = await admin('/admin/budgets/holds?before=yesterday');
    expect(badDate.status).toBe(400);
    expect(((await badDate.json()) as { error: { message: string } }).error.message).toMatch(
      /before: give epoch milliseconds .* an ISO date-time with its zone/,
    );
    const badBodyDate = await admin('/admin/budgets/holds/release', {
      method: 'POST',
      body: JSON.stringify({ before: '2026-11-22T10:00:00' }),
    });
    expect(((await badBodyDate.json()) as { error: { message: string } }).error.message).toMatch(
      /before: give epoch milliseconds/,
    );
    const manyBad = await admin('/admin/budgets/holds/release', {
      method: 'POST',
      body: JSON.stringify({ requestIds: Array.from({ length: 20 }, () => 'x'.repeat(200)) }),
    });
    const manyMessage = ((await manyBad.json()) as { error: { message: string } }).error.message;
    expect(manyMessage).toMatch(/\(and 15 more\)\.$/);
    expect(manyMessage.length).toBeLessThan(1_000);

    const bad = await admin('/admin/budgets/holds/release', { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /requestIds.*before.*all/,
    );

    const released = await admin('/admin/budgets/holds/release', {
      method: 'POST',
      body: JSON.stringify({ requestIds: [requestId, 'no-such-request'] }),
    });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({
      released: [expect.objectContaining({ requestId })],
      skipped: [],
      notHeld: ['no-such-request'],
    });

    const admitted = await call();
    expect(admitted.status).toBe(200);
    await admitted.text();
    // The released call's row is as it was: an error of unknown cost, never a silent zero.
    expect(await t.gateway.ledger.getRequest(requestId)).toMatchObject({ cost: null, costKnown: false });
  });

  it('the CLI lists holds, says which can never be re-costed, and releases them by age', async () => {
    const timedOut = await call('stall;ms=3000');
    expect(timedOut.status).toBe(504);
    await timedOut.text();
    const requestId = timedOut.headers.get('x-tollgate-request-id') ?? '';
    await eventually(async () => {
      const found = await t.gateway.ledger.getRequest(requestId);
      return found && found.status !== 'pending' ? found : undefined;
    });
    // The gateway's ledger commits through its journal; the CLI reads the file from another process.
    await t.gateway.ledger.flush();
    const env = { TOLLGATE_DB: `${t.dir}/ledger.db` };
    const run = (args: string[]) => runCli(args, { env, cwd: t.dir });

    const table = await run(['budgets', 'holds']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(requestId);
    expect(table.stdout).toMatch(/never: release it/);
    expect(table.stdout).toMatch(/1 held, \$0\.\d+ in all\. 1 can never be re-costed/);
    const list = await run(['budgets', 'list']);
    expect(list.stdout).toMatch(/Reserved includes \$0\.\d+ held for 1 call of unknown cost/);

    const nothing = await run(['budgets', 'release']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/which holds\? Give request ids/);
    const none = await run(['budgets', 'release', '--older-than', '1h', '--format', 'json']);
    expect(json<{ released: unknown[] }>(none).released).toEqual([]);
    expect(none.code).toBe(0);
    // Named, but newer than --older-than: said so, and a failure, since a named request stays held.
    const tooNew = await run(['budgets', 'release', requestId, '--older-than', '1h']);
    expect(tooNew.code).toBe(1);
    expect(tooNew.stderr).toContain(`Request ${requestId} is held, but was admitted after --older-than`);
    const byAge = await run(['budgets', 'release', '--older-than', '2100-01-01']);
    expect(byAge.code, byAge.stderr).toBe(0);
    expect(byAge.stdout).toMatch(
      /Released 1 held reservation \(\$0\.\d+\); the calls keep their unknown cost/,
    );
    const empty = await run(['budgets', 'holds', '--format', 'json']);
    expect(json(empty)).toEqual([]);
    const again = await run(['budgets', 'release', requestId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No held reservation for request ${requestId} (its cost is known`);
  });
});
