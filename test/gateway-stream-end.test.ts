import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requestStream,
  type ScriptedStreamStand,
  shortStream,
  startScriptedStreamStand,
} from './helpers/scripted-upstream.ts';

/**
 * An upstream that sends a stream's last events and [DONE] in one write, then takes its time to
 * end the response. The gateway holds [DONE] until the body has ended and the row is committed;
 * the events before it in the same read must not wait for that, idle or busy.
 */
const END_AFTER_MS = 400;
let t: ScriptedStreamStand;

beforeAll(async () => {
  t = await startScriptedStreamStand('gen-slow-end-1', (res) => {
    res.write(shortStream('gen-slow-end-1', 'all'));
    setTimeout(() => res.end(), END_AFTER_MS);
  });
});
afterAll(() => t.close());

/** When the usage event and [DONE] reached the caller, in ms from the request. */
async function arrivals(): Promise<{ usageMs: number; doneMs: number; requestId: string }> {
  const started = Date.now();
  const response = await requestStream(t);
  expect(response.status).toBe(200);
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  let usageMs = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(usageMs) && text.includes('"usage"')) usageMs = Date.now() - started;
  }
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  return {
    usageMs,
    doneMs: Date.now() - started,
    requestId: response.headers.get('x-tollgate-request-id') ?? '',
  };
}

describe('a stream whose end is slow after its [DONE]', () => {
  it('sends the events before [DONE] at once and [DONE] once the row is committed', async () => {
    const { usageMs, doneMs, requestId } = await arrivals();
    expect(usageMs).toBeLessThan(END_AFTER_MS / 2);
    expect(doneMs).toBeGreaterThanOrEqual(END_AFTER_MS - 20);
    expect(await t.gateway.context.ledger.getRequest(requestId)).toMatchObject({ status: 'ok' });
  });

  it('does the same when busy, where it keeps them for the rest of the turn only', async () => {
    // Busy: more calls in flight than the gateway's latency-first threshold.
    t.gateway.context.inFlight.calls += 10;
    try {
      const { usageMs, doneMs } = await arrivals();
      expect(usageMs).toBeLessThan(END_AFTER_MS / 2);
      expect(doneMs).toBeGreaterThanOrEqual(END_AFTER_MS - 20);
    } finally {
      t.gateway.context.inFlight.calls -= 10;
    }
  });
});
