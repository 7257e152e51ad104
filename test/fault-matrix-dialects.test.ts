import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultName, SIMULATOR_FAULTS } from '../src/simulator/index.ts';
import { costOf, faultHeader, HTTP_ERROR_FAULTS } from './helpers/fault-matrix.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * The fault matrix of the Responses and Messages routes: every simulator fault, plain and
 * streamed, through the gateway leaves exactly one ledger row with the right status and the
 * caller a well-formed error in its API's own shape (fault-matrix.test.ts does chat).
 */

const HTTP_ERRORS = HTTP_ERROR_FAULTS;
type Dialect = 'responses' | 'messages';

/** What the ledger must say for each fault: the row's status, and whether its cost is known. */
function expectedRow(
  fault: FaultName,
  dialect: Dialect,
  streamed: boolean,
): { status: string; cost: 'zero' | 'known' | 'unknown' } {
  if (HTTP_ERRORS.has(fault)) return { status: 'error', cost: 'zero' };
  switch (fault) {
    case 'reset':
    case 'stall':
    case 'invalid-json':
    case 'truncated-stream':
      return { status: 'error', cost: 'unknown' };
    // The answer fails after OpenRouter committed. A failed response carries its usage, whose cost
    // is nothing (zero-completion insurance). A Messages stream ends with an error event without
    // usage: the cost waits for reconciliation. A plain Messages answer cannot carry an error, so
    // it comes as a 502, which bills nothing.
    case 'mid-stream-error':
    case 'finish-error':
      return { status: 'error', cost: dialect === 'messages' && streamed ? 'unknown' : 'zero' };
    case 'content-filter':
      return { status: 'filtered', cost: 'known' };
    default:
      return { status: 'ok', cost: 'known' };
  }
}

function requestBody(dialect: Dialect, streamed: boolean): Record<string, unknown> {
  return dialect === 'responses'
    ? {
        model: 'openai/gpt-4o-mini',
        input: 'Explain the fault matrix.',
        max_output_tokens: 60,
        stream: streamed,
      }
    : {
        model: 'anthropic/claude-haiku-4.5',
        messages: [{ role: 'user', content: 'Explain the fault matrix.' }],
        max_tokens: 60,
        stream: streamed,
      };
}

/** The error an event stream ended with, in its dialect's shape, if any. */
function streamError(dialect: Dialect, text: string): Record<string, unknown> | undefined {
  const name = dialect === 'responses' ? 'response.failed' : 'error';
  const event = text.split('\n\n').find((candidate) => candidate.startsWith(`event: ${name}\n`));
  if (!event) return undefined;
  const data = JSON.parse(event.slice(event.indexOf('data: ') + 'data: '.length)) as Record<string, unknown>;
  return dialect === 'responses'
    ? ((data.response as Record<string, unknown>).error as Record<string, unknown>)
    : (data.error as Record<string, unknown>);
}

const lines: string[] = [];

describe('fault matrix of /responses and /messages through the gateway', () => {
  let t: TestGateway;
  const adminKey = 'ADMIN-SECRET-do-not-leak-91b2c4';
  let secret = '';
  const seen: string[] = [];
  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { generationLagMs: 0, stallMs: 3_000 },
      config: { openrouter: { maxRetries: 0, timeoutMs: 400 }, gateway: { adminKey } },
    });
    secret = (await t.gateway.ledger.keys.create({ name: 'matrix' })).secret;
  });
  afterAll(async () => {
    await t.close();
    console.log(
      [
        'dialect   fault              mode    caller sees                                row status   cost',
        ...lines,
      ].join('\n'),
    );
  });

  for (const dialect of ['responses', 'messages'] as const) {
    for (const fault of SIMULATOR_FAULTS) {
      for (const streamed of [false, true]) {
        it(`${dialect} ${fault} ${streamed ? 'streamed' : 'plain'}`, async () => {
          const rowsBefore = (await t.gateway.ledger.reports.recent({ limit: 1000 })).length;
          const response = await fetch(`${t.gateway.url}/api/v1/${dialect}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${secret}`,
              'content-type': 'application/json',
              'x-simulator-fault': faultHeader(fault),
            },
            body: JSON.stringify(requestBody(dialect, streamed)),
          });
          const text = await response.text();
          seen.push(text, JSON.stringify([...response.headers]));
          const requestId = response.headers.get('x-tollgate-request-id') ?? '';
          let caller = `HTTP ${response.status}`;
          if (HTTP_ERRORS.has(fault)) expect(response.status).toBe(Number(fault));
          else expect(response.status).not.toBe(500);
          if (response.status >= 400) {
            const body = JSON.parse(text) as Record<string, unknown>;
            if (dialect === 'messages') {
              // Anthropic's envelope, which its SDK reads.
              expect(body).toMatchObject({
                type: 'error',
                error: { type: expect.any(String), message: expect.any(String) },
                request_id: requestId,
              });
              caller += ` ${(body.error as { tollgate_code: string }).tollgate_code}`;
            } else {
              expect(body).toMatchObject({
                error: {
                  code: response.status,
                  message: expect.any(String),
                  metadata: { request_id: requestId },
                },
              });
              caller += ` ${(body.error as { metadata: { tollgate_code: string } }).metadata.tollgate_code}`;
            }
          } else if (streamed) {
            const error = streamError(dialect, text);
            caller += error ? ` + ${dialect === 'responses' ? 'response.failed' : 'error'} event` : ' stream';
            if (error) {
              expect(error.message).toEqual(expect.any(String));
              expect(JSON.stringify(error)).not.toContain('internal_error');
            }
          } else {
            const body = JSON.parse(text) as Record<string, unknown>;
            caller += ` ${String(body.status ?? body.stop_reason)}`;
          }
          expect(text).not.toContain(t.upstreamKey);
          const row = await eventually(async () => {
            const found = await t.gateway.ledger.getRequest(requestId);
            return found && found.status !== 'pending' ? found : undefined;
          });
          expect((await t.gateway.ledger.reports.recent({ limit: 1000 })).length).toBe(rowsBefore + 1);
          lines.push(
            `${dialect.padEnd(9)} ${fault.padEnd(18)} ${(streamed ? 'stream' : 'plain').padEnd(7)} ${caller.padEnd(42)} ${row.status.padEnd(12)} ${costOf(row)}`,
          );
          expect(row.errorCode).not.toBe('internal_error');
          expect({ status: row.status, cost: costOf(row) }).toEqual(expectedRow(fault, dialect, streamed));
        });
      }
    }
  }

  it('let no secret reach a response or a log line', () => {
    for (const text of [...seen, ...t.logs]) {
      for (const key of [t.upstreamKey, adminKey, secret]) expect(text).not.toContain(key);
    }
  });
});
