import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../src/ledger/index.ts';
import { moneyFromUsd, sumMoney } from '../src/shared/money.ts';
import { createSimulatorKey, type RunningSimulator, startSimulator } from '../src/simulator/index.ts';
import { type ChatCallResult, chatCall } from './helpers/gateway-calls.ts';
import { type GatewayProcess, killGatewayProcesses, spawnGateway } from './helpers/gateway-process.ts';
import { DIALECTS, useLedgerDatabases } from './helpers/ledger-dialects.ts';

const ADMIN_KEY = 'tollgate-test-admin-key-0123456789';
const BUDGET_USD = '0.0008';
const CALLS_PER_GATEWAY = 150;
const CALLERS_PER_GATEWAY = 8;

/**
 * Two `tollgate serve` processes on one PostgreSQL ledger, as two replicas behind a balancer: a
 * global budget set through one holds across both under concurrent load (reservations serialise
 * in PostgreSQL), and a key revoked through one stops working on the other at once.
 */
describe.runIf(DIALECTS.includes('postgres'))('two gateway processes, one PostgreSQL ledger', () => {
  const databases = useLedgerDatabases('postgres');
  let sim: RunningSimulator;
  let agent: Agent;
  let db: string;
  let upstreamKey: string;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    sim = await startSimulator({ firstTokenMs: 5, generationLagMs: 0 });
    agent = new Agent({ connections: 2 * CALLERS_PER_GATEWAY });
    db = await databases.url();
    // One OpenRouter account behind both replicas, so its bill is the sum of both ledgers' spend.
    upstreamKey = createSimulatorKey();
    const env = { TOLLGATE_ADMIN_KEY: ADMIN_KEY };
    a = await spawnGateway({ db, upstreamUrl: sim.url, upstreamKey, env });
    b = await spawnGateway({ db, upstreamUrl: sim.url, upstreamKey, env });
  });
  afterAll(async () => {
    await killGatewayProcesses();
    await agent?.close();
    await sim?.close();
  });

  async function admin(
    gateway: GatewayProcess,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ) {
    const response = await request(`${gateway.url}${path}`, {
      method,
      dispatcher: agent,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
  }

  it('never exceeds a global budget shared by both, and uses most of it', async () => {
    // Set through A before B has served anything: B reads the budget list on its first call.
    const set = await admin(a, 'PUT', '/admin/budgets', {
      scope: 'global',
      window: 'total',
      limitUsd: BUDGET_USD,
    });
    expect(set.status).toBe(200);
    try {
      await driveAgainstBudget();
    } finally {
      // Lift the budget for what follows, even after a failure (B keeps its copy of the list up
      // to a second; with no budget row left, its reservations record nothing).
      const budgetId = String((set.json.data as { id: string }).id);
      expect((await admin(a, 'DELETE', `/admin/budgets/${budgetId}`)).status).toBe(200);
    }
  }, 90_000);

  async function driveAgainstBudget(): Promise<void> {
    const created = await admin(a, 'POST', '/admin/keys', { name: 'load' });
    expect(created.status).toBe(201);
    const token = String(created.json.secret);

    const results = new Map<GatewayProcess, ChatCallResult[]>([
      [a, []],
      [b, []],
    ]);
    const drive = async (gateway: GatewayProcess) => {
      let next = 0;
      const caller = async () => {
        while (next < CALLS_PER_GATEWAY) {
          const n = next++;
          const result = await chatCall(agent, gateway.url, {
            stream: n % 2 === 1,
            token,
            content: `call ${n}`,
          });
          results.get(gateway)?.push(result);
        }
      };
      await Promise.all(Array.from({ length: CALLERS_PER_GATEWAY }, caller));
    };
    await Promise.all([drive(a), drive(b)]);

    const all = [...results.values()].flat();
    expect(all).toHaveLength(2 * CALLS_PER_GATEWAY);
    const served = all.filter((result) => result.status === 200);
    const refused = all.filter((result) => result.status !== 200);
    // Every call was answered, either served in full or refused as over budget, nothing else.
    expect(all.every((result) => result.answered)).toBe(true);
    expect(served.every((result) => result.errorCode === null && result.generationId !== null)).toBe(true);
    expect(refused.map((result) => `${result.status} ${result.errorCode}`)).toEqual(
      refused.map(() => '402 budget_exceeded'),
    );
    // Both replicas ran into the budget: the contention was real.
    for (const gateway of [a, b]) {
      expect(results.get(gateway)?.some((result) => result.status === 402)).toBe(true);
      expect(results.get(gateway)?.some((result) => result.status === 200)).toBe(true);
    }

    const ledger = await openLedger({ url: db, heartbeatMs: 0, spoolDir: null, reconcileAfterMs: null });
    try {
      const rows = await ledger.reports.recent({ limit: 1000 });
      const spent = sumMoney(rows.map((row) => row.cost ?? 0n));
      const limit = moneyFromUsd(BUDGET_USD);
      expect(spent).toBeLessThanOrEqual(limit);
      // …and was used nearly to the end, not refused wholesale.
      expect(spent * 10n).toBeGreaterThan(limit * 8n);
      // What the ledger says was spent is what the upstream account was billed.
      expect(spent).toBe(moneyFromUsd(sim.state.account(upstreamKey)?.totalUsageExact ?? 'x'));
      // Every served call's row is there, once, complete; a refused call left no row.
      expect(rows.map((row) => row.id).sort()).toEqual(served.map((result) => result.requestId).sort());
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const result of served) {
        expect(byId.get(result.requestId ?? '')).toMatchObject({
          status: 'ok',
          generationId: result.generationId,
        });
      }
      const [check] = await ledger.budgets.status({});
      expect(check?.spent).toBe(spent);
      console.info(
        `budget: ${served.length} served, ${refused.length} refused (402) across A and B ` +
          `(A ${results.get(a)?.filter((r) => r.status === 200).length} served, ` +
          `B ${results.get(b)?.filter((r) => r.status === 200).length} served); ` +
          `spent ${spent} of ${limit} (${(Number((spent * 10_000n) / limit) / 100).toFixed(2)}%), ${rows.length} rows`,
      );
    } finally {
      await ledger.close();
    }
  }

  it('stops a key revoked through one process at once on the other', async () => {
    const created = await admin(a, 'POST', '/admin/keys', { name: 'to-revoke' });
    expect(created.status).toBe(201);
    const token = String(created.json.secret);
    const keyId = String((created.json.data as { id: string }).id);

    const before = await chatCall(agent, b.url, { stream: false, token });
    expect(before).toMatchObject({ answered: true, status: 200 });
    expect((await admin(a, 'DELETE', `/admin/keys/${keyId}`)).status).toBe(200);
    // The very next call, no waiting: B looks the key up in the shared ledger on every request.
    const after = await chatCall(agent, b.url, { stream: false, token });
    expect(after).toMatchObject({ answered: true, status: 401, errorCode: 'invalid_api_key' });
    const afterStream = await chatCall(agent, b.url, { stream: true, token });
    expect(afterStream).toMatchObject({ status: 401, errorCode: 'invalid_api_key' });
    expect(await chatCall(agent, a.url, { stream: false, token })).toMatchObject({ status: 401 });
  }, 30_000);
});
