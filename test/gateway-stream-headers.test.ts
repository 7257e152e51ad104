import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requestStream,
  type ScriptedStreamStand,
  shortStream,
  startScriptedStreamStand,
} from './helpers/scripted-upstream.ts';

/**
 * An upstream that answers a stream's headers at once and its first event only later, as a
 * reasoning model behind a provider that sends no keep-alive comment may: the caller must get
 * its 200 straight away, not when the first chunk comes.
 */
const FIRST_EVENT_AFTER_MS = 400;
let t: ScriptedStreamStand;

beforeAll(async () => {
  t = await startScriptedStreamStand('gen-late-1', (res) => {
    res.flushHeaders();
    setTimeout(() => {
      res.end(shortStream('gen-late-1', 'late'));
    }, FIRST_EVENT_AFTER_MS);
  });
});
afterAll(() => t.close());

describe('a stream whose first event is slow', () => {
  it('gets its headers at once and its events when they come; the row has its generation id meanwhile', async () => {
    const started = Date.now();
    const response = await requestStream(t);
    const headersAfter = Date.now() - started;
    expect(response.status).toBe(200);
    expect(headersAfter).toBeLessThan(FIRST_EVENT_AFTER_MS / 2);
    // Still waiting for the first event: the pending row already knows the generation, so a crash
    // now would leave an interrupted row that reconciliation can re-cost.
    const requestId = response.headers.get('x-tollgate-request-id') ?? '';
    const midStream = await t.gateway.context.ledger.getRequest(requestId);
    expect(midStream).toMatchObject({ status: 'pending', generationId: 'gen-late-1' });
    const text = await response.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(FIRST_EVENT_AFTER_MS - 20);
    expect(text).toContain('"content":"late"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
