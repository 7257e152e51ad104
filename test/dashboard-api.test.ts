import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_NAMES, registerDashboard } from '../src/dashboard/index.ts';
import type { ImportRow, Ledger } from '../src/ledger/index.ts';
import { moneyFromUsd, moneyToUsdString } from '../src/shared/money.ts';
import { DAY, HOSTILE_MODULE, nearestRank, seedLedger } from './dashboard-fixtures.ts';
import { startTestGateway } from './helpers/gateway.ts';
import { DIALECTS, manualClock, useLedgerDatabases } from './helpers/ledger-dialects.ts';

const NOW = Date.UTC(2025, 5, 15, 12, 30);
const SEVEN_DAYS_SINCE = Date.UTC(2025, 5, 9);
const ADMIN = 'Bearer dashboard-admin-key';

type ErrorBody = { error: { code: string; message: string } };

class Denied extends Error {
  readonly statusCode = 401;
}

function sumCosts(rows: readonly ImportRow[]): bigint {
  return rows.reduce((sum, row) => sum + (row.cost ?? 0n), 0n);
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: dashboard API`, () => {
    const dbs = useLedgerDatabases(dialect);
    let ledger: Ledger;
    let app: FastifyInstance;
    let rows: ImportRow[];
    let inPeriod: ImportRow[];

    const get = async (url: string, authorization: string | null = ADMIN) => {
      const response = await app.inject({
        method: 'GET',
        url,
        headers: authorization ? { authorization } : {},
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body,
        json: () => response.json(),
      };
    };

    beforeAll(async () => {
      ledger = await dbs.open({ clock: manualClock(NOW), reconcileAfterMs: null });
      rows = await seedLedger(ledger, NOW);
      inPeriod = rows.filter((row) => (row.createdAt ?? 0) >= SEVEN_DAYS_SINCE);
      await ledger.budgets.set({ scope: 'global', window: 'month', limit: moneyFromUsd('50') });
      await ledger.budgets.set({
        scope: 'module',
        scopeValue: 'chat',
        window: 'day',
        limit: moneyFromUsd('0.5'),
      });
      await ledger.saveBodies(rows[0]?.id as string, {
        request: '{"messages":[{"role":"user","content":"<b>hi</b>"}]}',
      });
      await ledger.flush();
      app = Fastify();
      registerDashboard(app, {
        ledger,
        now: () => NOW,
        authorize: async (request) => {
          if (request.headers.authorization !== ADMIN) throw new Denied('admin key required');
        },
      });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
    });

    it('sums the period exactly: totals, statuses, p50/p95', async () => {
      const response = await get('/dashboard/api/summary?range=7d');
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const summary = response.json();
      expect(summary.period).toEqual({ since: SEVEN_DAYS_SINCE, until: null });
      const report = await ledger.reports.spend({ since: SEVEN_DAYS_SINCE });
      expect(summary.totals.spendUsd).toBe(report.rows[0]?.spendUsd);
      expect(summary.totals.spendUsd).toBe(moneyToUsdString(sumCosts(inPeriod)));
      expect(summary.totals.requests).toBe(inPeriod.length);
      const errors = inPeriod.filter((row) => row.status === 'error').length;
      expect(summary.totals.errors).toBe(errors);
      expect(summary.totals.errorRate).toBeCloseTo(errors / inPeriod.length, 12);
      for (const { status, requests } of summary.statuses) {
        expect(requests, status).toBe(inPeriod.filter((row) => row.status === status).length);
      }
      const latencies = inPeriod.map((row) => row.latencyMs as number);
      expect(summary.latency).toEqual({
        p50Ms: nearestRank(latencies, 50),
        p95Ms: nearestRank(latencies, 95),
        sampleSize: inPeriod.length,
        complete: true,
      });
      const all = (await get('/dashboard/api/summary?range=90d')).json();
      expect(all.totals.requests).toBe(rows.length);
    });

    it('draws spend per day stacked by module, adding up to the ledger report', async () => {
      const data = (await get('/dashboard/api/spend-over-time?range=7d&groupBy=module')).json();
      expect(data.bucket).toBe('day');
      expect(data.buckets).toEqual(Array.from({ length: 7 }, (_, index) => SEVEN_DAYS_SINCE + index * DAY));
      const byModule = await ledger.reports.spend({ groupBy: ['module'], since: SEVEN_DAYS_SINCE });
      const expected = Object.fromEntries(byModule.rows.map((row) => [row.group.module, row.spendUsd]));
      const actual = Object.fromEntries(
        data.series.map((series: { name: string; totalUsd: string }) => [series.name, series.totalUsd]),
      );
      expect(actual).toEqual(expected);
      expect(actual[HOSTILE_MODULE]).toBeDefined();
      const byDay = await ledger.reports.spend({ groupBy: ['day'], since: SEVEN_DAYS_SINCE });
      data.buckets.forEach((start: number, index: number) => {
        const day = new Date(start).toISOString().slice(0, 10);
        const total = data.series.reduce(
          (sum: bigint, series: { values: string[] }) => sum + moneyFromUsd(series.values[index] as string),
          0n,
        );
        const want = byDay.rows.find((row) => row.group.day === day)?.spend ?? 0n;
        expect(moneyToUsdString(total), day).toBe(moneyToUsdString(want));
      });
      expect(data.totalUsd).toBe(moneyToUsdString(sumCosts(inPeriod)));
    });

    it('draws hourly buckets for 24h and folds small groups into "other"', async () => {
      const data = (await get('/dashboard/api/spend-over-time?range=24h&groupBy=user')).json();
      expect(data.bucket).toBe('hour');
      expect(data.buckets).toHaveLength(24);
      expect(data.buckets[23]).toBe(Date.UTC(2025, 5, 15, 12));
      const since = data.period.since;
      expect(since).toBe(Date.UTC(2025, 5, 14, 13));
      const want = sumCosts(rows.filter((row) => (row.createdAt ?? 0) >= since));
      expect(data.totalUsd).toBe(moneyToUsdString(want));
      expect(data.series).toHaveLength(8);
      expect(data.series.at(-1)).toMatchObject({ name: null, other: true });
      const seriesSum = data.series.reduce(
        (sum: bigint, series: { totalUsd: string }) => sum + moneyFromUsd(series.totalUsd),
        0n,
      );
      expect(seriesSum).toBe(want);
    });

    it('ranks models and users by cost', async () => {
      const top = (await get('/dashboard/api/top?range=7d&by=model&limit=2')).json();
      const report = await ledger.reports.spend({ groupBy: ['model'], since: SEVEN_DAYS_SINCE });
      const ranked = [...report.rows].sort((a, b) => (a.spend > b.spend ? -1 : 1));
      expect(top.rows.map((row: { name: string }) => row.name)).toEqual(
        ranked.slice(0, 2).map((row) => row.group.model),
      );
      expect(top.rows[0].spendUsd).toBe(ranked[0]?.spendUsd);
      expect(top.totalUsd).toBe(moneyToUsdString(sumCosts(inPeriod)));
      const users = (await get('/dashboard/api/top?range=7d&by=user')).json();
      expect(users.rows).toHaveLength(8);
    });

    it('lists recent requests with filters, newest first', async () => {
      const url = `/dashboard/api/requests?range=7d&module=${encodeURIComponent(HOSTILE_MODULE)}&status=ok&status=error&limit=500`;
      const data = (await get(url)).json();
      const want = inPeriod
        .filter((row) => row.module === HOSTILE_MODULE && (row.status === 'ok' || row.status === 'error'))
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
      expect(data.rows.map((row: { id: string }) => row.id)).toEqual(want.map((row) => row.id));
      expect(data.rows[0]).toMatchObject({
        module: HOSTILE_MODULE,
        costUsd: want[0]?.cost == null ? null : moneyToUsdString(want[0].cost),
      });
      const limited = (await get('/dashboard/api/requests?range=90d&limit=5')).json();
      expect(limited.rows).toHaveLength(5);
      const twoUsers = (await get('/dashboard/api/requests?range=90d&user=u-1&user=u-2&limit=500')).json();
      expect(twoUsers.rows.length).toBe(
        rows.filter((row) => row.userId === 'u-1' || row.userId === 'u-2').length,
      );
    });

    it('shows one request; the prompt only when bodies were stored', async () => {
      const first = rows[0] as ImportRow;
      const stored = (await get(`/dashboard/api/requests/${first.id}`)).json();
      expect(stored.request).toMatchObject({ id: first.id, module: first.module });
      expect(stored.bodies).toMatchObject({
        stored: true,
        request: '{"messages":[{"role":"user","content":"<b>hi</b>"}]}',
      });
      const plain = (await get(`/dashboard/api/requests/${rows[1]?.id}`)).json();
      expect(plain.bodies).toEqual({ stored: false, request: null, response: null, truncated: false });
      const missing = await get('/dashboard/api/requests/01970000-0000-7000-8000-000000000000');
      expect(missing.status).toBe(404);
    });

    it('shows budgets (limit, spent, reserved) and estimate-vs-billed drift', async () => {
      const budgets = (await get('/dashboard/api/budgets')).json().budgets;
      expect(budgets).toHaveLength(2);
      const chat = budgets.find((budget: { scope: string }) => budget.scope === 'module');
      const status = await ledger.budgets.status({ module: 'chat' });
      const check = status.find((item) => item.budget.scope === 'module');
      expect(chat).toMatchObject({
        scopeValue: 'chat',
        window: 'day',
        limitUsd: '0.5',
        spentUsd: moneyToUsdString(check?.spent ?? -1n),
        reservedUsd: '0',
      });
      const drift = (await get('/dashboard/api/drift?range=7d')).json();
      const want = await ledger.reports.driftByModel({ since: SEVEN_DAYS_SINCE });
      expect(
        drift.models.map((row: { model: string; driftUsd: string }) => [row.model, row.driftUsd]),
      ).toEqual(want.map((row) => [row.model, row.driftUsd]));
      const billed = want.reduce((sum, row) => sum + row.billed, 0n);
      expect(drift.total.billedUsd).toBe(moneyToUsdString(billed));
    });

    it("offers the period's values for the filter menus", async () => {
      const data = (await get('/dashboard/api/dimensions?range=7d')).json();
      expect(data.values.module).toEqual([...new Set(inPeriod.map((row) => row.module))].sort());
      expect(data.values.provider).toEqual(['Anthropic', 'Google', 'OpenAI']);
    });

    it('answers 400 with the problem named for every bad parameter', async () => {
      const cases: Array<[string, RegExp]> = [
        ['/dashboard/api/summary?range=1y', /range/],
        ['/dashboard/api/summary?bogus=1', /bogus|Unrecognized/i],
        ['/dashboard/api/summary?since=2025-06-10&until=2025-06-01', /until.*after/],
        ['/dashboard/api/summary?until=2025-06-01', /needs a "since"/],
        ['/dashboard/api/summary?since=yesterday', /since/],
        ['/dashboard/api/spend-over-time?groupBy=key', /groupBy/],
        ['/dashboard/api/spend-over-time?groupBy=module;drop table requests', /groupBy/],
        ['/dashboard/api/spend-over-time?range=90d&bucket=hour', /at most 72 hours/],
        ['/dashboard/api/spend-over-time?since=0&bucket=day', /at most 400 days/],
        ['/dashboard/api/top?by=model&limit=0', /limit/],
        ['/dashboard/api/top?range=7d', /by/],
        ['/dashboard/api/requests?limit=abc', /limit/],
        ['/dashboard/api/requests?status=bogus', /status/],
        [`/dashboard/api/requests?module=${'m'.repeat(300)}`, /module/],
        ['/dashboard/api/requests/not-an-id', /request id/],
        ['/dashboard/api/requests/..%2F..%2Fetc', /request id/],
        ['/dashboard/api/budgets?x=1', /Unrecognized|x/],
      ];
      for (const [url, message] of cases) {
        const response = await get(url);
        expect(response.status, url).toBe(400);
        expect(response.json().error.code, url).toBe('invalid_request');
        expect(response.json().error.message, url).toMatch(message);
      }
    });

    it('needs the key for data, not for the page', async () => {
      for (const path of [
        'summary',
        'spend-over-time',
        'top?by=model',
        'requests',
        'budgets',
        'drift',
        'dimensions',
        `requests/${rows[0]?.id}`,
      ]) {
        expect((await get(`/dashboard/api/${path}`, null)).status, path).toBe(401);
        expect((await get(`/dashboard/api/${path}`, 'Bearer wrong')).status, path).toBe(401);
      }
      const page = await get('/', null);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.body).toContain('/dashboard/assets/app.js');
    });

    it('serves only its allow-listed files', async () => {
      for (const name of ASSET_NAMES.filter((item) => item !== 'index.html')) {
        const response = await get(`/dashboard/assets/${name}`, null);
        expect(response.status, name).toBe(200);
        expect(response.headers['content-type'], name).toMatch(/^text\/(javascript|css)/);
        const again = await app.inject({
          url: `/dashboard/assets/${name}`,
          headers: { 'if-none-match': String(response.headers.etag) },
        });
        expect(again.statusCode, name).toBe(304);
      }
      expect((await get('/dashboard/assets/uplot.js', null)).body).toContain('uPlot');
      for (const path of [
        '/dashboard/assets/index.html',
        '/dashboard/assets/../../package.json',
        '/dashboard/assets/%2e%2e/%2e%2e/package.json',
        '/dashboard/assets/..%2f..%2fpackage.json',
        '/dashboard/assets/%2e%2e%2f%2e%2e%2fpackage.json',
        '/dashboard/assets/%252e%252e%252fpackage.json',
        '/dashboard/assets/..%5c..%5cpackage.json',
        '/dashboard/assets/app.js/../../../package.json',
        '/dashboard/assets/%2fetc%2fpasswd',
        '/dashboard/assets/index.ts',
        '/dashboard/assets/',
      ]) {
        const response = await get(path, null);
        expect(response.status, path).toBe(404);
        expect(response.body, path).not.toContain('"name": "tollgate"');
      }
    });
  });
}

describe('dashboard as composed by startGateway', () => {
  it('is open on a key-less loopback gateway and closed once an admin key is set', async () => {
    const open = await startTestGateway();
    try {
      expect((await fetch(`${open.gateway.url}/dashboard/api/summary`)).status).toBe(200);
      expect((await fetch(`${open.gateway.url}/`)).status).toBe(200);
    } finally {
      await open.close();
    }
    const adminKey = 'composed-dashboard-admin-key';
    const closed = await startTestGateway({ config: { gateway: { adminKey } } });
    try {
      const url = `${closed.gateway.url}/dashboard/api/summary`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as ErrorBody).error.code).toBe('authentication_required');
      const { secret } = await closed.gateway.ledger.keys.create({ name: 'app' });
      closed.gateway.context.auth.keysChanged();
      const withGatewayKey = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
      expect(withGatewayKey.status).toBe(403);
      expect(((await withGatewayKey.json()) as ErrorBody).error.code).toBe('permission_denied');
      expect((await fetch(url, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
      const badQuery = await fetch(`${url}?range=1y`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(badQuery.status).toBe(400);
      expect((await fetch(`${closed.gateway.url}/`)).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
