import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerRow, Tollgate } from '../src/index.ts';
import {
  createSimulatorKey,
  type FaultName,
  type RunningSimulator,
  SIMULATOR_FAULTS,
  startSimulator,
} from '../src/simulator/index.ts';
import { costOf, faultHeader, faultStep, HTTP_ERROR_FAULTS } from './helpers/fault-matrix.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/** Every simulator fault, taken from the simulator itself so a new one cannot be left out of the matrix. */
const FAULTS = SIMULATOR_FAULTS;
type Fault = FaultName;
const HTTP_ERRORS = HTTP_ERROR_FAULTS;

/** What the ledger must say for each fault: the row's status, and whether its cost is known. */
function expectedRow(
  fault: Fault,
  streamed: boolean,
): { status: string; cost: 'zero' | 'known' | 'unknown' } {
  if (HTTP_ERRORS.has(fault)) return { status: 'error', cost: 'zero' };
  switch (fault) {
    case 'reset':
    case 'stall':
    case 'invalid-json':
      return { status: 'error', cost: 'unknown' };
    case 'truncated-stream':
      return { status: 'error', cost: 'unknown' };
    case 'mid-stream-error':
      // Streamed, the error chunk carries no usage: the cost waits for reconciliation.
      return { status: 'error', cost: streamed ? 'unknown' : 'zero' };
    case 'finish-error':
      // An error finish is not billed (zero-completion insurance), and the usage says so.
      return { status: 'error', cost: 'zero' };
    case 'content-filter':
      return { status: 'filtered', cost: 'known' };
    default:
      return { status: 'ok', cost: 'known' };
  }
}

interface Cell {
  fault: Fault;
  streamed: boolean;
  surface: 'library' | 'gateway';
  caller: string;
  row: LedgerRow | undefined;
}

const cells: Cell[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const messages = [{ role: 'user' as const, content: 'Explain the fault matrix.' }];

function tcpHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'TCPSocketWrap' || name === 'TCPServerWrap').length;
}

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  const line = (cell: Cell) =>
    `${cell.fault.padEnd(18)} ${cell.surface.padEnd(8)} ${(cell.streamed ? 'stream' : 'plain').padEnd(7)} ${cell.caller.padEnd(44)} ${(cell.row?.status ?? '-').padEnd(12)} ${costOf(cell.row)}`;
  console.log(
    [
      'fault              surface  mode    caller sees                                  row status   cost',
      ...cells.map(line),
    ].join('\n'),
  );
});

describe('fault matrix: every simulator fault × plain and streamed × library and gateway', () => {
  const baseline = tcpHandles();

  describe('the library', () => {
    let sim: RunningSimulator;
    let tg: Tollgate;
    let dir: string;
    const key = createSimulatorKey();
    beforeAll(async () => {
      sim = await startSimulator({ generationLagMs: 0, stallMs: 3_000 });
      dir = mkdtempSync(join(tmpdir(), 'tollgate-matrix-'));
      tg = await Tollgate.open({
        apiKey: key,
        baseUrl: sim.url,
        db: join(dir, 'ledger.db'),
        env: {},
        cwd: dir,
        maxRetries: 0,
        timeoutMs: 400,
        reconcile: false,
        checkBalance: false,
        ledger: { heartbeatMs: 0, spoolDir: null },
      });
    });
    afterAll(async () => {
      await tg.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const fault of FAULTS) {
      for (const streamed of [false, true]) {
        it(`${fault} ${streamed ? 'streamed' : 'plain'}`, async () => {
          const before = await tg.ledger.reports.recent({ limit: 1000 });
          sim.queueFaults(key, [faultStep(fault)]);
          const request = {
            model: 'openai/gpt-4o-mini',
            messages,
            max_tokens: 60,
            module: `matrix-${fault}`,
          };
          let caller: string;
          try {
            if (streamed) {
              const stream = tg.stream(request);
              for await (const _part of stream) {
                // Drain.
              }
              const result = await stream.result;
              caller = `ok ${result.finishReason}${result.truncated ? ' (truncated)' : ''}`;
            } else {
              const result = await tg.chat(request);
              caller = `ok ${result.finishReason}${result.truncated ? ' (truncated)' : ''}`;
            }
          } catch (error) {
            caller = `${(error as Error).name} ${(error as { code?: string }).code ?? ''}`.trim();
          }
          const after = await tg.ledger.reports.recent({ limit: 1000 });
          expect(after.length).toBe(before.length + 1);
          const row = after.find((candidate) => !before.some((old) => old.id === candidate.id));
          cells.push({ fault, streamed, surface: 'library', caller, row });
          const expected = expectedRow(fault, streamed);
          expect({ status: row?.status, cost: costOf(row) }).toEqual(expected);
          if (expected.status === 'ok') expect(caller).toMatch(/^ok /);
          else expect(caller).not.toMatch(/^ok /);
        });
      }
    }
  });

  describe('the gateway', () => {
    let t: TestGateway;
    // Recognisable secrets: none may ever appear in a response, a log line, the ledger or the dashboard.
    const adminKey = 'ADMIN-SECRET-do-not-leak-7f3a9c';
    let gatewaySecret = '';
    const responses: string[] = [];
    beforeAll(async () => {
      t = await startTestGateway({
        simulator: { generationLagMs: 0, stallMs: 3_000 },
        config: { openrouter: { maxRetries: 0, timeoutMs: 400 }, gateway: { adminKey } },
      });
      const created = await fetch(`${t.gateway.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'matrix' }),
      });
      gatewaySecret = ((await created.json()) as { secret: string }).secret;
    });
    afterAll(async () => {
      await t.close();
    });

    for (const fault of FAULTS) {
      for (const streamed of [false, true]) {
        it(`${fault} ${streamed ? 'streamed' : 'plain'}`, async () => {
          const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${gatewaySecret}`,
              'content-type': 'application/json',
              'x-simulator-fault': faultHeader(fault),
            },
            body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages, max_tokens: 60, stream: streamed }),
          });
          const text = await response.text();
          responses.push(text, JSON.stringify([...response.headers]));
          const requestId = response.headers.get('x-tollgate-request-id') ?? '';
          let caller = `HTTP ${response.status}`;
          // The caller's SDK sees OpenRouter's own status (its retry logic stays right); upstream
          // breakage is a 502 or 504, never the gateway's own 500.
          if (HTTP_ERRORS.has(fault)) expect(response.status).toBe(Number(fault));
          else expect(response.status).not.toBe(500);
          if (response.status >= 400) {
            const body = JSON.parse(text) as { error: { code: string; message: string; request_id: string } };
            expect(body.error.request_id).toBe(requestId);
            expect(body.error.message.length).toBeGreaterThan(0);
            caller += ` ${body.error.code}`;
          } else if (streamed) {
            const errorEvent = text
              .split('\n\n')
              .find((event) => event.startsWith('data: {') && event.includes('"error":{'));
            caller += errorEvent
              ? ' + SSE error event'
              : text.includes('data: [DONE]')
                ? ' stream [DONE]'
                : ' stream';
            if (errorEvent) {
              // Shaped like OpenRouter's own (§5.5), so an SDK that validates chunks takes it as
              // the error it is; an upstream fault is never reported as tollgate's own.
              const chunk = JSON.parse(errorEvent.slice('data: '.length)) as Record<string, unknown>;
              expect(chunk).toMatchObject({ created: expect.any(Number), model: expect.any(String) });
              expect(chunk.error).toMatchObject({ code: expect.any(Number) });
              expect(JSON.stringify(chunk.error)).not.toContain('internal_error');
            }
          } else {
            const body = JSON.parse(text) as { choices: Array<{ finish_reason: string }> };
            caller += ` ${body.choices[0]?.finish_reason}`;
          }
          expect(text).not.toContain(t.upstreamKey);
          const row = await eventually(async () => {
            const found = await t.gateway.ledger.getRequest(requestId);
            return found && found.status !== 'pending' ? found : undefined;
          });
          cells.push({ fault, streamed, surface: 'gateway', caller, row });
          expect(row.errorCode).not.toBe('internal_error');
          expect({ status: row.status, cost: costOf(row) }).toEqual(expectedRow(fault, streamed));
        });
      }
    }

    it('let no secret reach a response, a log line, the ledger or the dashboard', async () => {
      const rows = await t.gateway.ledger.reports.recent({ limit: 1000 });
      const dashboard: string[] = [];
      for (const path of [
        '/dashboard/api/requests?limit=500',
        '/dashboard/api/summary',
        ...rows.map((row) => `/dashboard/api/requests/${row.id}`),
      ]) {
        dashboard.push(
          await (
            await fetch(`${t.gateway.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })
          ).text(),
        );
      }
      const everything = [
        ...responses,
        ...t.logs,
        JSON.stringify(rows, (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value,
        ),
        ...dashboard,
      ];
      expect(everything.length).toBeGreaterThan(100);
      for (const secret of [t.upstreamKey, adminKey, gatewaySecret]) {
        for (const text of everything) expect(text).not.toContain(secret);
      }
    });
  });

  it('left no unhandled rejection and no open socket behind', async () => {
    expect(unhandled).toEqual([]);
    await eventually(async () => (tcpHandles() <= baseline ? true : undefined), 5_000);
  });
});
