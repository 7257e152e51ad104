import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportRow } from '../src/ledger/index.ts';
import { uuidv7 } from '../src/shared/ids.ts';
import { moneyFromUsd } from '../src/shared/money.ts';
import { HOSTILE_MODULE, seedLedger } from './dashboard-fixtures.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/** Debian's chromium, installed by the CI script; a browser is never downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ADMIN_KEY = 'dashboard-browser-admin-key-0123456789';
const PROMPT = '{"messages":[{"role":"user","content":"<b>Summarise</b> the invoice"}]}';

/** The little of a canvas the test reads (the project's types have no DOM library). */
type Canvas2d = {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};

/** GET with the path sent byte for byte (fetch and browsers would normalise `..` away first). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard in a real browser', () => {
  let tg: TestGateway;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let rows: ImportRow[];
  let gatewayKey: string;
  const consoleErrors: Array<{ text: string; loggedIn: boolean }> = [];
  const dialogs: string[] = [];
  let loggedIn = false;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the browser test drives Debian's chromium (apt-get install -y chromium) and never downloads one.`,
      );
    }
    tg = await startTestGateway({ config: { gateway: { adminKey: ADMIN_KEY } } });
    const ledger = tg.gateway.ledger;
    rows = await seedLedger(ledger, Date.now());
    const newest = [...rows].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0] as ImportRow;
    await ledger.saveBodies(newest.id, { request: PROMPT });
    await ledger.budgets.set({ scope: 'global', window: 'month', limit: moneyFromUsd('25') });
    await ledger.budgets.set({
      scope: 'module',
      scopeValue: 'chat',
      window: 'day',
      limit: moneyFromUsd('1.5'),
    });
    await ledger.flush();
    gatewayKey = (await ledger.keys.create({ name: 'app' })).secret;
    tg.gateway.context.auth.keysChanged();

    profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push({ text: message.text(), loggedIn });
    });
    page.on('pageerror', (error) => consoleErrors.push({ text: `pageerror: ${error.message}`, loggedIn }));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await tg?.close();
  });

  it('refuses data without the admin key and shows a clear prompt', async () => {
    const base = tg.gateway.url;
    expect((await fetch(`${base}/dashboard/api/summary`)).status).toBe(401);
    const asGatewayKey = await fetch(`${base}/dashboard/api/summary`, {
      headers: { authorization: `Bearer ${gatewayKey}` },
    });
    expect(asGatewayKey.status).toBe(403);
    const asAdmin = await fetch(`${base}/dashboard/api/summary`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(asAdmin.status).toBe(200);

    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('#auth').isVisible()).toBe(true);
    expect(await page.locator('#auth h2').textContent()).toBe('Admin key required');
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard-auth.png' });

    await page.fill('#admin-key', 'not-the-key');
    await page.click('#auth-form button');
    await expect.poll(() => page.locator('#auth-message').textContent()).toMatch(/not accepted/);
    await page.fill('#admin-key', gatewayKey);
    await page.click('#auth-form button');
    await expect.poll(() => page.locator('#auth-message').textContent()).toMatch(/not the admin key/);
    // The page asks for several panels at once; let every refused request land before logging in,
    // so the refusals of the wrong key are not counted against the admin key's session.
    await page.waitForLoadState('networkidle');
    // Until now the only console errors are the refused requests themselves.
    for (const error of consoleErrors) expect(error.text).toMatch(/status of 40[13]/);

    loggedIn = true;
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('#auth-form button');
    await page.waitForSelector('#dashboard[data-refreshed-at]', { state: 'visible' });
    expect(await page.locator('#auth').isVisible()).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem('tollgate.adminKey'))).toBe(ADMIN_KEY);
  });

  it("shows the ledger's own totals and per-module sums, and draws them", async () => {
    const since = Number(await page.locator('#period').getAttribute('data-since'));
    expect(since).toBeGreaterThan(0);
    const ledger = tg.gateway.ledger;
    const total = (await ledger.reports.spend({ since })).rows[0];
    expect(await page.locator('#total-spend').textContent()).toBe(`$${total?.spendUsd}`);
    expect(await page.locator('#total-requests').textContent()).toBe(total?.requests.toLocaleString('en-US'));

    const byModule = await ledger.reports.spend({ groupBy: ['module'], since });
    const legend = await page
      .locator('#legend li')
      .evaluateAll((items) =>
        items.map((item) => [
          item.querySelector('.series-name')?.textContent,
          item.querySelector('.series-total')?.textContent,
        ]),
      );
    expect(Object.fromEntries(legend)).toEqual(
      Object.fromEntries(byModule.rows.map((row) => [row.group.module, `$${row.spendUsd}`])),
    );

    // The bars are really drawn: the canvas holds the first series' colour (#4e79a7).
    const painted = await page.locator('#chart canvas').evaluate((node) => {
      const canvas = node as unknown as Canvas2d;
      const context2d = canvas.getContext('2d');
      if (!context2d) return 0;
      const { data } = context2d.getImageData(0, 0, canvas.width, canvas.height);
      let hits = 0;
      for (let index = 0; index < data.length; index += 4) {
        if (data[index] === 0x4e && data[index + 1] === 0x79 && data[index + 2] === 0xa7) hits++;
      }
      return hits;
    });
    expect(painted).toBeGreaterThan(100);

    const topModel = [...(await ledger.reports.spend({ groupBy: ['model'], since })).rows].sort((a, b) =>
      a.spend > b.spend ? -1 : 1,
    )[0];
    expect(await page.locator('#top-models li .name').first().textContent()).toBe(topModel?.group.model);
    expect(await page.locator('#top-models li .amount').first().textContent()).toBe(`$${topModel?.spendUsd}`);
    expect(await page.locator('#budgets li').count()).toBe(2);
    expect(await page.locator('#statuses li[data-status="error"]').count()).toBe(1);
    expect(await page.locator('#drift tbody tr').count()).toBe(3);
  });

  it('renders a hostile module name as text', async () => {
    await expect.poll(() => page.getByText(HOSTILE_MODULE, { exact: true }).first().isVisible()).toBe(true);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('#legend script, #requests script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('filters the requests table and opens a request', async () => {
    const since = Number(await page.locator('#period').getAttribute('data-since'));
    const ledger = tg.gateway.ledger;
    const before = await page.locator('#requests tbody tr').count();
    expect(before).toBe(50);
    await page.selectOption('#filters select[name="module"]', HOSTILE_MODULE);
    const want = await ledger.reports.recent({ since, filters: { module: HOSTILE_MODULE }, limit: 50 });
    await expect
      .poll(() =>
        page.locator('#requests tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))),
      )
      .toEqual(want.map((row) => row.id));
    const modules = await page.locator('#requests tbody td.module').allTextContents();
    expect(new Set(modules)).toEqual(new Set([HOSTILE_MODULE]));

    await page.selectOption('#filters select[name="module"]', '');
    await page.selectOption('#filters select[name="status"]', 'error');
    const errors = await ledger.reports.recent({ since, filters: { status: 'error' }, limit: 50 });
    await expect.poll(() => page.locator('#requests tbody tr').count()).toBe(errors.length);
    await page.selectOption('#filters select[name="status"]', '');
    await expect.poll(() => page.locator('#requests tbody tr').count()).toBe(50);

    // The newest row has its prompt stored; the next one does not.
    await page.locator('#requests tbody tr').first().click();
    await expect.poll(() => page.locator('#detail-prompt').textContent()).toBe(PROMPT);
    expect(await page.locator('#detail-prompt').isVisible()).toBe(true);
    await page.screenshot({ path: 'test-results/dashboard-detail.png' });
    await page
      .locator('#requests tbody tr')
      .nth(1)
      .click({ position: { x: 5, y: 5 } });
    await expect.poll(() => page.locator('#detail-prompt-note').textContent()).toMatch(/Prompt not stored/);
    expect(await page.locator('#detail-prompt').isVisible()).toBe(false);
    await page.click('#detail-close');
    expect(await page.locator('#detail').isVisible()).toBe(false);
  });

  it('switches the stack to model, user or provider and the period to 24 hours', async () => {
    const ledger = tg.gateway.ledger;
    /** True once the legend shows the ledger's own per-group sums for the period on the page. */
    const legendMatches = async (dim: 'module' | 'model' | 'user' | 'provider', range: string) => {
      const since = Number(await page.locator('#period').getAttribute('data-since'));
      if ((await page.locator('#range').inputValue()) !== range) return undefined;
      const report = await ledger.reports.spend({ groupBy: [dim], since });
      const ranked = [...report.rows].sort((a, b) => (a.spend > b.spend ? -1 : a.spend < b.spend ? 1 : 0));
      const shown = await page
        .locator('#legend li .series-name')
        .allTextContents()
        .then((names) => names.filter((name) => name !== 'other'));
      const want = ranked.slice(0, shown.length).map((row) => row.group[dim] ?? '(none)');
      const first = await page.locator('#legend li .series-total').first().textContent();
      return shown.length > 0 &&
        JSON.stringify(shown) === JSON.stringify(want) &&
        first === `$${ranked[0]?.spendUsd}`
        ? true
        : undefined;
    };
    await page.selectOption('#range', '24h');
    await page.selectOption('#group-by', 'model');
    await eventually(() => legendMatches('model', '24h'), 10_000);
    expect(await page.locator('#period').textContent()).toMatch(/^Since /);
    await page.selectOption('#group-by', 'provider');
    await eventually(() => legendMatches('provider', '24h'), 10_000);
    await page.selectOption('#group-by', 'user');
    await eventually(() => legendMatches('user', '24h'), 10_000);
    expect(await page.locator('#legend li[data-series="other"]').count()).toBe(1);
    await page.selectOption('#range', '7d');
    await page.selectOption('#group-by', 'module');
    await eventually(() => legendMatches('module', '7d'), 10_000);
  });

  it('refreshes live as the ledger grows', async () => {
    const ledger = tg.gateway.ledger;
    const createdAt = Date.now();
    await ledger.importRows([
      {
        id: uuidv7(createdAt),
        createdAt,
        module: 'late-arrival',
        modelRequested: 'openai/gpt-4o-mini',
        model: 'openai/gpt-4o-mini',
        provider: 'OpenAI',
        status: 'ok',
        cost: moneyFromUsd('1.25'),
        costSource: 'usage',
        latencyMs: 300,
      },
    ]);
    const since = Number(await page.locator('#period').getAttribute('data-since'));
    const total = (await ledger.reports.spend({ since })).rows[0]?.spendUsd;
    await eventually(
      async () => ((await page.locator('#total-spend').textContent()) === `$${total}` ? true : undefined),
      15_000,
    );
    await expect.poll(() => page.locator('#legend li[data-series="late-arrival"]').count()).toBe(1);
  });

  it('serves no file outside its folder', async () => {
    for (const path of [
      '/dashboard/assets/../../package.json',
      '/dashboard/assets/../../../package.json',
      '/dashboard/assets/%2e%2e/%2e%2e/package.json',
      '/dashboard/assets/..%2f..%2fpackage.json',
      '/dashboard/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/dashboard/assets/%252e%252e%252f%252e%252e%252fpackage.json',
      '/dashboard/assets/..%5c..%5cpackage.json',
      '/dashboard/assets/app.js/../../../package.json',
      '/dashboard/assets/%2e%2e%2f%2e%2e%2fsrc%2fdashboard%2findex.ts',
      '/dashboard/assets/index.ts',
    ]) {
      const response = await rawGet(tg.gateway.url, path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('"name": "tollgate"');
    }
    expect((await rawGet(tg.gateway.url, '/dashboard/assets/uplot.js')).status).toBe(200);
  });

  it('logged no console error once the key was given, and saves a screenshot', async () => {
    expect(consoleErrors.filter((error) => error.loggedIn)).toEqual([]);
    expect(dialogs).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
    expect(existsSync('test-results/dashboard.png')).toBe(true);
  });
});
